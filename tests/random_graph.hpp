// Random computation graphs for the gradient checker: a graph is a program of instructions over
// earlier results, so the same graph can be run on Values and on plain doubles.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

namespace tapegrad::test {

enum class GraphOp : std::uint8_t {
    add, sub, mul, div, pow, add_c, rsub_c, mul_c, div_c, rdiv_c, pow_c, neg,
    relu, tanh, sigmoid, exp, log, sqrt, abs, sin, cos, sum, dot, count
};

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
RandomGraph make_random_graph(std::uint64_t seed, std::size_t max_depth = 64, const std::vector<GraphOp>& excluded = {});

}  // namespace tapegrad::test
