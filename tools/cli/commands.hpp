// The subcommands of the tapegrad command; each takes its arguments after the command name.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace tapegrad::cli {

// Bad usage: exit status 2.
struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Writes text to path, raising std::runtime_error naming the path on failure.
void write_file(const std::string& path, const std::string& text);
// Renders a DOT file to an SVG beside it (same name, .svg) when Graphviz's dot is installed;
// returns the SVG's path, or "" when dot is not there.
std::string render_svg(const std::string& dot_path);

int article(const std::vector<std::string>& args);
int train(const std::vector<std::string>& args);
int graph(const std::vector<std::string>& args);
int predict(const std::vector<std::string>& args);

}  // namespace tapegrad::cli
