// H v for a scalar recorded under HigherOrder, by differentiating the reverse sweep forwards
// along v (forward-over-reverse, Pearlmutter's R operator) instead of recording it: one forward
// pass gives every node's tangent along v, then one reverse pass carries each node's adjoint and
// the adjoint's tangent, with each partial's tangent from its rule evaluated on Dual numbers.
// About two sweeps of the graph, and nothing recorded: the derivative drivers' hvp and hessian.
#pragma once

#include <vector>

#include "tapegrad/detail/higher_order_log.hpp"
#include "tapegrad/value.hpp"

namespace tapegrad::detail {

struct HessianVectorProduct {
    std::vector<double> gradient;  // d y / d x_k
    std::vector<double> hv;        // sum_j d2 y / d x_k d x_j v_j
};

// y and the inputs xs (leaves) are on one tape, the nodes between them recorded under
// HigherOrder. Raises Error otherwise (naming the node), and for users' ScalarOps (no second
// derivative) and tensor ops between xs and y. One sweep object serves many v (hessian).
class HessianVectorSweep {
public:
    // op names the caller in errors ("hvp", "hessian").
    HessianVectorSweep(const char* op, const Value& y, const std::vector<Value>& xs);
    HessianVectorProduct operator()(const std::vector<double>& v);

private:
    void check_differentiable_twice(std::size_t i, const Node& node, HigherOrderCursor& log) const;

    struct Adjoint {
        double value, tangent;  // d y / d node, and its derivative along v
    };
    const char* op_;
    Tape& tape_;
    std::size_t root_;
    std::size_t floor_;                // the lowest input's index: the sweeps start or end there
    std::vector<std::size_t> inputs_;  // the xs' indices on the tape
    std::vector<double> tangents_;     // per node: its derivative along v
    std::vector<Adjoint> adjoints_;    // per node
};

}  // namespace tapegrad::detail
