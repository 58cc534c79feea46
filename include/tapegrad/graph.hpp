// Pictures of recorded graphs.
#pragma once

#include <string>

#include "tapegrad/value.hpp"

namespace tapegrad {

// Graphviz DOT of the graph that `root` was computed from: one box per node with its op,
// data and grad (like micrograd's draw_dot), an arrow from each operand to its result.
// Nodes recorded without partials (under NoGrad) show no operands.
std::string to_dot(const Value& root);

}  // namespace tapegrad
