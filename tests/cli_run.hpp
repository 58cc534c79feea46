// Running the built tapegrad command from the tests: exit status, output, scratch files.
#pragma once
#ifdef TAPEGRAD_CLI_PATH
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <doctest/doctest.h>

namespace fs = std::filesystem;

namespace {

struct Run {
    int status;
    std::string out;  // stdout and stderr
};

inline Run run(const std::string& args) {
    const std::string cmd = std::string("'") + TAPEGRAD_CLI_PATH + "' " + args + " 2>&1";
    FILE* p = ::popen(cmd.c_str(), "r");
    REQUIRE(p != nullptr);
    std::string out;
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    const int st = ::pclose(p);
    return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
}

inline std::string slurp(const fs::path& p) {
    std::ifstream in(p);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

inline std::size_t count(const std::string& s, const std::string& what) {
    std::size_t n = 0;
    for (std::size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
    return n;
}

// The number after "key": inside the object "section": of a --report file; NAN if absent.
inline double json_number(const std::string& json, const std::string& section, const std::string& key) {
    const std::size_t at = json.find("\"" + section + "\": {");
    if (at == std::string::npos) return NAN;
    const std::size_t end = json.find('}', at);
    const std::size_t k = json.find("\"" + key + "\": ", at);
    if (k == std::string::npos || k > end) return NAN;
    return std::strtod(json.c_str() + k + key.size() + 4, nullptr);
}

inline int next_scratch() {
    static int n = 0;
    return ++n;
}

struct Scratch {
    fs::path dir = fs::temp_directory_path() /
                   ("tapegrad_test_cli_" + std::to_string(::getpid()) + "_" + std::to_string(next_scratch()));
    Scratch() { fs::create_directories(dir); }
    ~Scratch() { fs::remove_all(dir); }
    std::string operator/(const std::string& name) const { return (dir / name).string(); }
};

}  // namespace
#endif
