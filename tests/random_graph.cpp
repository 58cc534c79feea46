// The random graph generator: draws instructions, evaluates them on doubles as it goes, and
// redraws any that would overflow, hit a kink (relu, abs near 0) or leave a domain.
#include "random_graph.hpp"

#include <algorithm>
#include <cmath>

namespace tapegrad::test {

namespace {
double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

double eval(const Instruction& in, const std::vector<double>& v) {
    const double a = v[in.args[0]], b = v[in.args[1]];
    switch (in.op) {
        case GraphOp::add: return a + b;
        case GraphOp::sub: return a - b;
        case GraphOp::mul: return a * b;
        case GraphOp::div: return a / b;
        case GraphOp::pow: return std::pow(a, b);
        case GraphOp::add_c: return a + in.c;
        case GraphOp::rsub_c: return in.c - a;
        case GraphOp::mul_c: return a * in.c;
        case GraphOp::div_c: return a / in.c;
        case GraphOp::rdiv_c: return in.c / a;
        case GraphOp::pow_c: return std::pow(a, in.c);
        case GraphOp::neg: return -a;
#define TAPEGRAD_GRAPH_EVAL(method, Rule) \
    case GraphOp::method: return ops::Rule::value(a, 0.0);
            TAPEGRAD_UNARY_OPS(TAPEGRAD_GRAPH_EVAL)
#undef TAPEGRAD_GRAPH_EVAL
        case GraphOp::sum: return a + b + v[in.args[2]] + v[in.args[3]];
        case GraphOp::dot: return a * b + v[in.args[2]] * v[in.args[3]];
        case GraphOp::fma_tanh: return std::tanh(a * b + v[in.args[2]]);
        case GraphOp::ratio: return (2.0 - a * b) / (v[in.args[2]] * v[in.args[2]] + 1.0);
        case GraphOp::sigmoid_exp: return -sigmoid(a - b) * std::exp(v[in.args[3]]);
        case GraphOp::count: break;
    }
    return 0;
}

// Where an op is smooth at its operands: away from kinks, poles and the edges of its domain.
bool smooth(const Instruction& in, const std::vector<double>& v) {
    const double a = v[in.args[0]], b = v[in.args[1]];
    switch (in.op) {
        case GraphOp::relu:
        case GraphOp::abs: return std::fabs(a) > 1e-3;
        case GraphOp::div: return std::fabs(b) > 0.2;
        case GraphOp::rdiv_c: return std::fabs(a) > 0.2;
        case GraphOp::log:
        case GraphOp::sqrt:
        case GraphOp::pow_c: return a > 0.2;
        case GraphOp::pow: return a > 0.2 && std::fabs(b) < 3;
        case GraphOp::exp: return a < 5;
        case GraphOp::sigmoid_exp: return v[in.args[3]] < 5;
        default: return true;
    }
}
}  // namespace

RandomGraph make_random_graph(std::uint64_t seed, std::size_t max_depth, const std::vector<GraphOp>& excluded) {
    std::mt19937_64 rng(seed);
    const auto uniform = [&](double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng); };
    const auto below = [&](std::size_t n) { return static_cast<std::uint32_t>(rng() % n); };

    RandomGraph g;
    g.n_inputs = 1 + below(4);
    std::vector<double> values;
    std::vector<std::size_t> depth;
    for (std::size_t i = 0; i < g.n_inputs; ++i) {
        double x = uniform(-1.5, 1.5);
        if (std::fabs(x) < 0.05) x += 0.1;
        g.inputs.push_back(x);
        values.push_back(x);
        depth.push_back(0);
    }
    const std::size_t length = 4 + below(60);
    for (std::size_t tries = 0; g.program.size() < length && tries < 50 * length; ++tries) {
        Instruction in{static_cast<GraphOp>(below(static_cast<std::size_t>(GraphOp::count))), {}, 0.0};
        // Half the time reuse one of the latest results, so that graphs get deep.
        for (std::uint32_t& arg : in.args) {
            const std::size_t n = values.size();
            arg = rng() % 2 ? static_cast<std::uint32_t>(n - 1 - below(std::min<std::size_t>(n, 3))) : below(n);
        }
        in.c = uniform(-2.0, 2.0);
        if (std::fabs(in.c) < 0.3) in.c = 0.7;  // div_c by a small constant is ill-conditioned
        if (std::find(excluded.begin(), excluded.end(), in.op) != excluded.end()) continue;
        std::size_t d = 0;
        for (std::uint32_t arg : in.args) d = std::max(d, depth[arg]);
        if (d + 1 > max_depth || !smooth(in, values)) continue;
        const double y = eval(in, values);
        if (!std::isfinite(y) || std::fabs(y) > 1e3) continue;
        g.program.push_back(in);
        values.push_back(y);
        depth.push_back(d + 1);
    }
    return g;
}

}  // namespace tapegrad::test
