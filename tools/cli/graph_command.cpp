// tapegrad graph: the recorded graph of one forward and backward pass of a small MLP, as DOT.
#include <cstdio>

#include <tapegrad/graph.hpp>
#include <tapegrad/nn.hpp>

#include "commands.hpp"
#include "options.hpp"

namespace tapegrad::cli {

namespace {
constexpr const char* kHelp =
    "usage: tapegrad graph [--model SIZES] [--seed N] [--out FILE]\n"
    "\n"
    "Records one forward pass of a small scalar MLP on the input (1, -1, 1, ...), takes the\n"
    "sum of squares of its outputs as the loss, runs backward, and writes the graph as Graphviz\n"
    "DOT: one box per node with its op, data and grad.\n"
    "\n"
    "  --model SIZES   layer sizes, inputs first (default 2,3,1; keep it small: every weight is a node)\n"
    "  --seed N        seeds the weights (default 1)\n"
    "  --out FILE      write the DOT to FILE, and FILE's .svg beside it when Graphviz's dot is\n"
    "                  installed (default: the DOT on standard output)\n";
}

int graph(const std::vector<std::string>& args) {
    std::string model = "2,3,1", out;
    std::uint64_t seed = 1;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& o = args[i];
        if (o == "--help" || o == "-h") {
            std::fputs(kHelp, stdout);
            return 0;
        }
        if (o == "--model") model = option_value(args, i);
        else if (o == "--seed") seed = parse_count(o, option_value(args, i), 0, UINT64_MAX);
        else if (o == "--out") out = option_value(args, i);
        else throw UsageError("unknown option '" + o + "'");
    }
    const std::vector<std::size_t> sizes = parse_sizes("--model", model);
    std::size_t weights = 0;
    for (std::size_t i = 1; i < sizes.size(); ++i) weights += (sizes[i - 1] + 1) * sizes[i];
    if (weights > 2000)
        throw UsageError("--model " + model + " has " + std::to_string(weights) +
                         " parameters; a graph of more than 2000 is unreadable");

    nn::Generator gen(seed);
    nn::MLP mlp(sizes[0], std::vector<std::size_t>(sizes.begin() + 1, sizes.end()), gen);
    Tape::current().clear();
    std::vector<Value> x;
    for (std::size_t i = 0; i < sizes[0]; ++i) x.emplace_back(i % 2 == 0 ? 1.0 : -1.0);
    const std::vector<Value> y = mlp(x);
    std::vector<Value> squares;
    for (const Value& v : y) squares.push_back(v * v);
    const Value loss = sum(squares);
    loss.backward();
    const std::string dot = to_dot(loss);
    const double loss_value = loss.data();
    Tape::current().clear();

    if (out.empty()) {
        std::fputs(dot.c_str(), stdout);
        return 0;
    }
    write_file(out, dot);
    std::printf("wrote %s (%s, loss %.6g)\n", out.c_str(), nn::describe(mlp).c_str(), loss_value);
    const std::string svg = render_svg(out);
    if (!svg.empty()) std::printf("wrote %s\n", svg.c_str());
    return 0;
}

}  // namespace tapegrad::cli
