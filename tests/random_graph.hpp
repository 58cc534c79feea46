// Random computation graphs for the gradient checker: a graph is a program of instructions over
// earlier results, so the same graph can be run on Values and on plain doubles.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include <tapegrad/tapegrad.hpp>

namespace tapegrad::test {

// The unary methods come from the op list itself (TAPEGRAD_UNARY_OPS), so a new op is drawn too.
#define TAPEGRAD_GRAPH_OP(method, Rule) method,
enum class GraphOp : std::uint8_t {
    add,
    sub,
    mul,
    div,
    pow,
    add_c,
    rsub_c,
    mul_c,
    div_c,
    rdiv_c,
    pow_c,
    neg,
    TAPEGRAD_UNARY_OPS(TAPEGRAD_GRAPH_OP) sum,
    dot,
    // whole expressions, whose unnamed intermediate results the engine may fuse into one node
    fma_tanh,
    ratio,
    sigmoid_exp,
    count
};
#undef TAPEGRAD_GRAPH_OP

struct Instruction {
    GraphOp op;
    std::uint32_t args[4];  // indices of earlier results (inputs first)
    double c;               // the constant operand, where the op has one
};

struct RandomGraph {
    std::size_t n_inputs;
    std::vector<double> inputs;
    std::vector<Instruction> program;  // result i + n_inputs is program[i]'s
};

// Depth at most max_depth, fan-in up to 4 (sum of up to 4, dot of 2 pairs), operands drawn from
// all earlier results so nodes are reused. Domains are kept valid by construction: log, sqrt and
// pow take (x*x + 0.5)-shaped operands built from earlier instructions, division divides by one.
// Ops in `excluded` are never drawn.
RandomGraph make_random_graph(std::uint64_t seed, std::size_t max_depth = 64,
                              const std::vector<GraphOp>& excluded = {});

// How many graphs a random-graph test checks: 2,000, or TAPEGRAD_RANDOM_GRAPHS.
inline std::size_t graphs_to_check() {
    const char* n = std::getenv("TAPEGRAD_RANDOM_GRAPHS");
    return n != nullptr ? std::stoul(n) : 2000;
}

// Runs one instruction on Values, or on tensors (which have no pow of a tensor).
template <class T> T step(const Instruction& in, const std::vector<T>& v) {
    const T &a = v[in.args[0]], &b = v[in.args[1]], &c = v[in.args[2]], &d = v[in.args[3]];
    switch (in.op) {
        case GraphOp::add: return a + b;
        case GraphOp::sub: return a - b;
        case GraphOp::mul: return a * b;
        case GraphOp::div: return a / b;
        case GraphOp::add_c: return a + in.c;
        case GraphOp::rsub_c: return in.c - a;
        case GraphOp::mul_c: return a * in.c;
        case GraphOp::div_c: return a / in.c;
        case GraphOp::rdiv_c: return in.c / a;
        case GraphOp::pow_c: return a.pow(in.c);
        case GraphOp::neg: return -a;
#define TAPEGRAD_GRAPH_STEP(method, Rule) \
    case GraphOp::method: return a.method();
            TAPEGRAD_UNARY_OPS(TAPEGRAD_GRAPH_STEP)
#undef TAPEGRAD_GRAPH_STEP
        case GraphOp::fma_tanh: return (a * b + c).tanh();
        case GraphOp::ratio: return (2.0 - a * b) / (c * c + 1.0);
        case GraphOp::sigmoid_exp: return -(a - b).sigmoid() * d.exp();
        default: break;
    }
    if constexpr (std::is_same_v<T, Value>) {
        switch (in.op) {
            case GraphOp::pow: return a.pow(b);
            case GraphOp::sum: return tapegrad::sum({a, b, c, d});  // the fused n-ary ops
            case GraphOp::dot: return tapegrad::dot(std::vector<Value>{a, c}, std::vector<Value>{b, d});
            default: break;
        }
    } else {
        switch (in.op) {
            case GraphOp::sum: return a + b + c + d;
            case GraphOp::dot: return a * b + c * d;
            default: break;
        }
    }
    throw Error("random graph: no such op for this engine");
}

// The graph's output: the sum of its last few results, so that most nodes matter.
template <class T> T run(const RandomGraph& g, std::vector<T> v) {
    for (const Instruction& in : g.program) v.push_back(step(in, v));
    T out = v.back();
    for (std::size_t k = 2; k <= std::min<std::size_t>(v.size(), 4); ++k) out = v[v.size() - k] + out;
    return out;
}

}  // namespace tapegrad::test
