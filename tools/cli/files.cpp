// Small file helpers shared by the subcommands.
#include <spawn.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "commands.hpp"

extern char** environ;

namespace tapegrad::cli {

void write_file(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
    out.close();
    if (!out) throw std::runtime_error("cannot write '" + path + "': " + std::strerror(errno));
}

std::string render_svg(const std::string& dot_path) {
    const std::size_t dot = dot_path.rfind('.');
    const std::size_t slash = dot_path.rfind('/');
    const bool has_ext = dot != std::string::npos && (slash == std::string::npos || dot > slash);
    const std::string svg = (has_ext ? dot_path.substr(0, dot) : dot_path) + ".svg";
    std::string prog = "dot", fmt = "-Tsvg", out = "-o";
    std::string in = dot_path, target = svg;
    char* argv[] = {prog.data(), fmt.data(), in.data(), out.data(), target.data(), nullptr};
    pid_t pid = 0;
    const int spawned = posix_spawnp(&pid, "dot", nullptr, nullptr, argv, environ);
    if (spawned == ENOENT) return "";  // Graphviz is not installed: DOT only
    if (spawned != 0) throw std::runtime_error(std::string("cannot run Graphviz dot: ") + std::strerror(spawned));
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw std::runtime_error("Graphviz dot failed on '" + dot_path + "'");
    return svg;
}

}  // namespace tapegrad::cli
