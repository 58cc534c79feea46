// grad() with create_graph: the reverse sweep recorded as ops on the tape, so that its results
// can be differentiated again.
//
// Each visited node's partials are rebuilt as Values from its op (value_partials.hpp: the
// elementwise rule evaluated on handles to the node and its parents; sum's are 1, dot's are the
// other operand of each pair). A node's adjoint is not accumulated op by op: the sweep collects
// its terms (partial, adjoint of the user) in a list and, when it reaches the node (all its
// users are then done), records the sum once: a term that is a constant 1 is passed on as it is
// (no node), one term is one product, many are one dot node. So the recorded derivative graph
// has about two edges per edge of the graph it differentiates.
#include <string>

#include "grad_sweep.hpp"
#include "tape_internals.hpp"
#include "tapegrad/detail/op_table.hpp"
#include "tapegrad/ops/scalar.hpp"
#include "value_partials.hpp"

namespace tapegrad::detail {

namespace {

using V = ValueAccess;

// One term of an adjoint: partial * g, where g is the adjoint of a node that uses this one.
struct Term {
    Node* partial;        // a node, or null for the constant c
    Node* g;              // always a node on the tape
    double c;
    std::uint32_t next;   // the slot's next term; 0 ends the list (terms are numbered from 1)
    bool partial_on_tape; // false for a parameter
};

// Collects each slot's terms and records their sum when the sweep reaches the slot.
class AdjointBuilder {
public:
    AdjointBuilder(Tape& tape, std::size_t slots) : tape_(tape), head_(slots, 0) { terms_.push_back(Term{}); }

    void add(std::size_t slot, Node* partial, bool partial_on_tape, double c, Node* g) {
        if (slot >= head_.size()) [[unlikely]] head_.resize(slot + 1, 0);
        terms_.push_back(Term{partial, g, c, head_[slot], partial_on_tape});
        head_[slot] = static_cast<std::uint32_t>(terms_.size() - 1);
    }

    // The slot's adjoint as a node on the tape, or null if it has no terms (a structural zero).
    Node* form(std::size_t slot) {
        if (slot >= head_.size() || head_[slot] == 0) return nullptr;
        const Term& first = terms_[head_[slot]];
        if (first.next == 0) {  // one user: pass its adjoint on, scaled if need be
            if (first.partial == nullptr) return first.c == 1.0 ? first.g : V::node(g(first) * first.c);
            return V::node(partial(first) * g(first));
        }
        partials_.clear();
        gs_.clear();
        parts_.clear();
        for (std::uint32_t t = head_[slot]; t != 0; t = terms_[t].next) {
            const Term& term = terms_[t];
            if (term.partial != nullptr) {
                partials_.push_back(partial(term));
                gs_.push_back(g(term));
            } else {
                parts_.push_back(term.c == 1.0 ? g(term) : g(term) * term.c);
            }
        }
        if (partials_.size() == 1) parts_.push_back(partials_[0] * gs_[0]);
        else if (!partials_.empty()) parts_.push_back(dot(partials_, gs_));
        return V::node(parts_.size() == 1 ? parts_[0] : sum(parts_));
    }

private:
    Value g(const Term& t) const { return V::wrap(t.g, &tape_); }
    Value partial(const Term& t) const { return V::wrap(t.partial, t.partial_on_tape ? &tape_ : nullptr); }

    Tape& tape_;
    std::vector<std::uint32_t> head_;  // per slot: its last term, 0 if none
    std::vector<Term> terms_;
    std::vector<Value> partials_, gs_, parts_;  // form()'s scratch
};

[[noreturn]] void throw_not_recorded_under_guard(std::size_t i, const Node& node) {
    throw Error("grad: create_graph needs the graph recorded under tapegrad::HigherOrder, but node " +
                std::to_string(i) + " ('" + op_name(node.op) + "') was recorded without it");
}
[[noreturn]] void throw_fused(std::size_t i, const Node& node) {
    throw Error("grad: create_graph cannot differentiate node " + std::to_string(i) + " ('" + op_name(node.op) +
                "') again: an op was folded into it after tapegrad::HigherOrder ended");
}
[[noreturn]] void throw_no_rule(std::size_t i, const Node& node) {
    if (node.op >= ScalarOps::count)
        throw Error(std::string("grad: '") + op_name(node.op) + "' (node " + std::to_string(i) +
                    ", a ScalarOp) has no second derivative: create_graph cannot differentiate through it");
    throw Error(std::string("grad: node ") + std::to_string(i) + " ('" + op_name(node.op) + "') has " +
                std::to_string(node.n_edges) + " partials, which its op's rule does not give");
}

}  // namespace

std::vector<Node*> create_graph_adjoints(SweepPlan& plan) {
    Tape& tape = plan.tape();
    const CurrentTape current(tape);  // constants a rule makes for a Value (T(0)) go on this tape
    HigherOrderCursor log(TapeInternals::higher_order_log(tape));
    const HigherOrder guard(tape);    // what the sweep records can be differentiated again
    NodeSlots& slots = plan.slots();
    AdjointBuilder adjoints(tape, slots.count());
    std::vector<Node*> input_adjoint(slots.count(), nullptr);
    const Value seed(tape, 1.0);
    // Terms only go to nodes that pass them on (they have partials) and to inputs.
    const auto wanted = [&](std::size_t s) {
        return plan.is_input(s) || (!slots.is_parameter(s) && slots.node(s)->n_edges != 0);
    };
    Value parents[2];
    ValuePartial partials[2];

    for (std::size_t i = plan.root() + 1; i-- > plan.lowest();) {
        if (!plan.reached(i)) continue;
        plan.check_no_entry_above(i);
        Node* const g = i == plan.root() ? V::node(seed) : adjoints.form(i);
        if (plan.is_input(i)) input_adjoint[i] = g;
        if (plan.last_needed(i)) break;
        Node& node = *slots.node(i);
        const std::uint32_t n = node.n_edges;
        if (n == 0) continue;
        const auto parent = [&](std::uint32_t k) { return node_of_grad(node.edges[k].parent_grad); };
        if (g == nullptr) {  // nothing to pass on; its parents still count as used
            for (std::uint32_t k = 0; k < n; ++k) plan.reach(parent(k));
            continue;
        }
        if (!log.recorded_under_guard(i)) throw_not_recorded_under_guard(i, node);
        if (node.fused != 0) throw_fused(i, node);

        if (node.op == code_of<ops::Sum>) {  // d sum / d x_k = 1
            for (std::uint32_t k = 0; k < n; ++k)
                if (const std::size_t s = plan.reach(parent(k)); wanted(s)) adjoints.add(s, nullptr, true, 1.0, g);
            continue;
        }
        if (node.op == code_of<ops::Dot>) {  // d (a . b) / d a_k = b_k and d / d b_k = a_k
            for (std::uint32_t k = 0; k + 1 < n; k += 2) {
                Node* const a = parent(k);
                Node* const b = parent(k + 1);
                const std::size_t sa = plan.reach(a), sb = plan.reach(b);
                if (wanted(sa)) adjoints.add(sa, b, !slots.is_parameter(sb), 0.0, g);
                if (wanted(sb)) adjoints.add(sb, a, !slots.is_parameter(sa), 0.0, g);
            }
            continue;
        }
        const RuleOfOp rule = rule_of(node.op);
        if (rule.rebuild == nullptr || rule.arity != n) throw_no_rule(i, node);
        std::size_t parent_slot[2];
        for (std::uint32_t k = 0; k < n; ++k) {
            parent_slot[k] = plan.reach(parent(k));
            parents[k] = V::wrap(parent(k), slots.is_parameter(parent_slot[k]) ? nullptr : &tape);
        }
        rule.rebuild(parents, V::wrap(&node, &tape), log.constant(i), partials);
        for (std::uint32_t k = 0; k < n; ++k) {
            if (!wanted(parent_slot[k])) continue;
            const ValuePartial& p = partials[k];
            if (V::node(p.value) != nullptr)
                adjoints.add(parent_slot[k], V::node(p.value), p.value.tape() != nullptr, 0.0, g);
            else if (p.constant != 0.0)
                adjoints.add(parent_slot[k], nullptr, true, p.constant, g);
        }
    }
    // Parameters come after every node on the tape: their terms are complete now.
    std::vector<Node*> out;
    for (std::size_t s : plan.input_slots()) {
        if (s == SweepPlan::kNotOnTape) {
            out.push_back(nullptr);
            continue;
        }
        if (slots.is_parameter(s) && plan.reached(s)) {
            if (s >= input_adjoint.size()) input_adjoint.resize(s + 1, nullptr);
            if (input_adjoint[s] == nullptr) input_adjoint[s] = adjoints.form(s);
        }
        out.push_back(s < input_adjoint.size() ? input_adjoint[s] : nullptr);
    }
    return out;
}

}  // namespace tapegrad::detail
