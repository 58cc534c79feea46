// Forward-over-reverse H v on the recorded tape (hessian_vector_product.hpp).
//
// For y(x) recorded as nodes with partials p_k = d node / d parent_k:
//   forward, along v:   t_node = sum_k p_k t_parent_k                      (t_x = v for the inputs)
//   reverse, from y:    a_parent += p_k a_node                            (a_y = 1: the gradient)
//                       b_parent += p_k b_node + (d p_k along v) a_node   (b_y = 0: H v)
// where d p_k along v comes from the node's rule evaluated on Dual numbers (value, tangent); a
// dot's partials are its other operands, whose tangents are at hand; a sum's are constants.
#include "hessian_vector_product.hpp"

#include <array>
#include <string>

#include "dual.hpp"
#include "node_slots.hpp"
#include "tape_internals.hpp"
#include "tapegrad/detail/op_table.hpp"

namespace tapegrad::detail {

namespace {

// The rules' partials on Duals, one table entry per op code.
using DualPartials = void (*)(const Dual* parents, Dual y, double c, Dual* out);
struct DualRule {
    DualPartials partials;  // null for ops without an elementwise rule
    std::uint32_t arity;
};

template <class Op> void dual_unary(const Dual* parents, Dual y, double c, Dual* out) {
    out[0] = Op::partial(parents[0], y, c);
}
template <class Op> void dual_binary(const Dual* parents, Dual y, double, Dual* out) {
    out[0] = Op::da(parents[0], parents[1], y);
    out[1] = Op::db(parents[0], parents[1], y);
}

const std::array<DualRule, 256> dual_rules = [] {
    std::array<DualRule, 256> table{};
    ScalarOps::for_each([&]<class Op>() {
        if constexpr (requires { Op::template partial<double>(1.0, 1.0, 1.0); })
            table[code_of<Op>] = DualRule{&dual_unary<Op>, 1};
        else if constexpr (requires { Op::template da<double>(1.0, 1.0, 1.0); })
            table[code_of<Op>] = DualRule{&dual_binary<Op>, 2};
    });
    return table;
}();

[[noreturn]] void throw_not_differentiable(const char* op, const char* why, std::size_t i, const Node& node) {
    throw Error(std::string(op) + ": node " + std::to_string(i) + " ('" + op_name(node.op) + "') " + why);
}

}  // namespace

HessianVectorSweep::HessianVectorSweep(const char* op, const Value& y, const std::vector<Value>& xs)
    : op_(op), tape_(*y.tape()) {
    root_ = TapeInternals::index_of(tape_, ValueAccess::node(y));
    std::size_t floor = root_;
    for (std::size_t k = 0; k < xs.size(); ++k) {
        if (xs[k].tape() != &tape_)
            throw Error(std::string(op_) + ": input " + std::to_string(k) + " is not on the function's tape");
        inputs_.push_back(TapeInternals::index_of(tape_, ValueAccess::node(xs[k])));
        floor = std::min(floor, inputs_.back());
    }
    floor_ = floor;
    for (const Entry& entry : TapeInternals::entries(tape_))
        if (entry.position > floor_ && entry.position <= root_)
            throw Error(std::string(op_) + ": the function passes through '" +
                        (entry.name != nullptr ? entry.name : "tensor op") +
                        "', a tensor op: derivatives through tensor ops need the tensor engine");
}

// Raises Error unless the node is one op with a rule (or a sum or dot), recorded under HigherOrder.
void HessianVectorSweep::check_differentiable_twice(std::size_t i, const Node& node, HigherOrderCursor& log) const {
    if (!log.recorded_under_guard(i))
        throw_not_differentiable(op_, "was recorded without tapegrad::HigherOrder", i, node);
    if (fused_count(node) != 0)
        throw_not_differentiable(op_, "had an op folded into it after tapegrad::HigherOrder ended", i, node);
    if (node.op == code_of<ops::Sum> || (node.op == code_of<ops::Dot> && node.n_edges % 2 == 0)) return;
    const DualRule rule = dual_rules[node.op];
    if (rule.partials == nullptr || rule.arity != node.n_edges)
        throw_not_differentiable(op_,
                                 node.op >= ScalarOps::count ? "is a ScalarOp, which has no second derivative"
                                                             : "has partials its op's rule does not give",
                                 i, node);
}

HessianVectorProduct HessianVectorSweep::operator()(const std::vector<double>& v) {
    NodeSlots slots(TapeInternals::nodes(tape_), root_ + 1);
    const std::size_t end = root_ + 1;
    tangents_.assign(end, 0.0);
    adjoints_.assign(end, Adjoint{0.0, 0.0});
    for (std::size_t k = 0; k < inputs_.size(); ++k) tangents_[inputs_[k]] += v[k];
    double* const tangent = tangents_.data();
    Adjoint* const adjoint = adjoints_.data();
    NodeSlots::Window window = slots.window();
    const auto slot = [&](const Edge& e) { return window(node_of_grad(e.parent_grad()), slots); };
    const auto tangent_of = [&](std::size_t s) { return s < end ? tangent[s] : 0.0; };  // parameters: 0

    // Forward: each node's tangent along v from its stored partials. Four sums, so that a dot's
    // long row of additions is four chains of a quarter of the latency.
    for (std::size_t i = floor_; i <= root_; ++i) {
        const Node& node = *slots.node(i);
        const std::uint32_t n = node.n_edges;
        if (n == 0) continue;
        Edge made[3];  // a product node, recorded outside HigherOrder: the reverse pass raises if it needs it
        const Edge* e = partials_of(node, made);
        double t[4] = {0.0, 0.0, 0.0, 0.0};
        std::uint32_t k = 0;
        for (; k + 3 < n; k += 4)
            for (std::uint32_t j = 0; j < 4; ++j) t[j] += e[k + j].partial * tangent_of(slot(e[k + j]));
        for (; k < n; ++k) t[0] += e[k].partial * tangent_of(slot(e[k]));
        tangent[i] = (t[0] + t[1]) + (t[2] + t[3]);
    }

    // Reverse: adjoints and their tangents.
    adjoint[root_].value = 1.0;
    HigherOrderCursor log(TapeInternals::higher_order_log(tape_));
    const auto pass = [&](std::size_t s, double p, double dp, Adjoint me) {
        if (s >= end) return;  // a parameter: not an input
        adjoint[s].value += p * me.value;
        adjoint[s].tangent += p * me.tangent + dp * me.value;
    };
    for (std::size_t i = root_ + 1; i-- > floor_;) {
        const Adjoint me = adjoint[i];
        if (me.value == 0.0 && me.tangent == 0.0) continue;  // passes nothing on, so needs no check
        const Node& node = *slots.node(i);
        const std::uint32_t n = node.n_edges;
        if (n == 0) continue;
        check_differentiable_twice(i, node, log);
        const Edge* e = node.edges;
        if (node.op == code_of<ops::Sum>) {
            for (std::uint32_t k = 0; k < n; ++k) pass(slot(e[k]), 1.0, 0.0, me);
        } else if (node.op == code_of<ops::Dot>) {  // the partial of a_k is b_k (its edge's), whose tangent is b_k's
            for (std::uint32_t k = 0; k < n; k += 2) {
                const std::size_t sa = slot(e[k]), sb = slot(e[k + 1]);
                const double ta = tangent_of(sa), tb = tangent_of(sb);
                pass(sa, e[k].partial, tb, me);
                pass(sb, e[k + 1].partial, ta, me);
            }
        } else {
            const DualRule rule = dual_rules[node.op];
            Dual parents[2], partials[2];
            std::size_t parent_slot[2];
            for (std::uint32_t k = 0; k < n; ++k) {
                parent_slot[k] = slot(e[k]);
                parents[k] = Dual(node_of_grad(e[k].parent_grad())->value, tangent_of(parent_slot[k]));
            }
            rule.partials(parents, Dual(node.value, tangent[i]), log.constant(i), partials);
            for (std::uint32_t k = 0; k < n; ++k) pass(parent_slot[k], e[k].partial, partials[k].d, me);
        }
    }
    HessianVectorProduct out;
    for (std::size_t s : inputs_) {
        out.gradient.push_back(adjoint[s].value);
        out.hv.push_back(adjoint[s].tangent);
    }
    return out;
}

}  // namespace tapegrad::detail
