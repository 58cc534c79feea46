// tapegrad article [--dot FILE] [--hessian]: the article's worked example, figure by figure.
#include <cstdio>

#include "article.hpp"
#include "article_hessian.hpp"
#include "commands.hpp"

namespace tapegrad::cli {

namespace {
constexpr const char* kHelp =
    "usage: tapegrad article [--dot FILE] [--hessian]\n"
    "\n"
    "Reproduces the backpropagation article's worked example on the scalar engine: the forward\n"
    "values, each neuron's delta, every gradient, the weights after one step, and a table of\n"
    "figure, the article's value, tapegrad's value and verdict.\n"
    "\n"
    "  --dot FILE   also write the recorded graph of the loss as Graphviz DOT (and FILE's .svg\n"
    "               beside it when Graphviz's dot is installed)\n"
    "  --hessian    also print the 6x6 Hessian of the loss in the weights at the starting weights,\n"
    "               its eigenvalues, and one Newton step beside the gradient step\n";
}

int article(const std::vector<std::string>& args) {
    std::string dot_path;
    bool hessian = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--help" || args[i] == "-h") {
            std::fputs(kHelp, stdout);
            return 0;
        }
        if (args[i] == "--hessian") {
            hessian = true;
            continue;
        }
        if (args[i] == "--dot") {
            if (i + 1 == args.size()) throw UsageError("--dot needs a file name");
            dot_path = args[++i];
            continue;
        }
        throw UsageError("unknown option '" + args[i] + "'");
    }
    const article::Result result = article::run();
    std::fputs(article::report(result).c_str(), stdout);
    if (hessian) std::printf("\n%s", report(article_hessian()).c_str());
    if (!dot_path.empty()) {
        write_file(dot_path, result.dot);
        std::printf("\nwrote %s\n", dot_path.c_str());
        const std::string svg = render_svg(dot_path);
        if (!svg.empty()) std::printf("wrote %s\n", svg.c_str());
    }
    return 0;
}

}  // namespace tapegrad::cli
