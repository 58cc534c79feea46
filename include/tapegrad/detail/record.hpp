// The scalar recorders: how an elementwise rule (tapegrad/ops/elementwise.hpp) becomes a node on
// the tape, and how an op on an unnamed temporary folds into the temporary's node instead.
#pragma once

#include <cmath>
#include <cstdint>
#include <span>
#include <type_traits>
#include <utility>

#include "tapegrad/anomaly.hpp"
#include "tapegrad/detail/op_table.hpp"
#include "tapegrad/detail/product_node.hpp"
#include "tapegrad/value.hpp"

namespace tapegrad::detail {

using V = ValueAccess;

// ---- which tape an op records on: its operands' (which must agree), else the current one

inline Tape& tape_of(const Value& a, const char*) { return a.tape() != nullptr ? *a.tape() : Tape::current(); }
inline Tape& tape_of(const Value& a, const Value& b, const char* op) {
    if (a.tape() == nullptr) return tape_of(b, op);
    if (b.tape() != nullptr && b.tape() != a.tape()) [[unlikely]]
        throw_mixed_tapes(op);
    return *a.tape();
}
// For n-ary ops: every x is valid, and those on a tape are on one tape (`tape`, if not null);
// returns that tape or null. Shaped for long spans: the tape's generation is loaded once.
inline Tape* tape_of(std::span<const Value> xs, const char* op, Tape* tape) {
    std::uint64_t now = tape != nullptr ? tape->generation() : 0;
    for (const Value& x : xs) {
        Tape* t = x.tape();
        if (t == nullptr) {  // a parameter, or empty
            if (V::node(x) == nullptr) [[unlikely]]
                throw_empty(op);
            continue;
        }
        if (t == tape && V::generation(x) == now) [[likely]]
            continue;
        V::check(x, op);  // raises for a stale handle
        if (tape != nullptr && t != tape) [[unlikely]]
            throw_mixed_tapes(op);
        tape = t;
        now = t->generation();
    }
    return tape;
}

// Anomaly mode (tapegrad/anomaly.hpp): a non-finite result names the op and the index its node
// gets. When the mode is off this is one load and a branch that is never taken.
inline void check_forward(Tape& tape, const char* op, double y) {
    if (anomaly_mode()) [[unlikely]]
        if (!std::isfinite(y)) throw_anomaly("forward", op, tape.node_count(), y);
}

// ---- recording a node

// A unary node under NoGrad (no partials) or HigherOrder (its constant operand kept for
// create_graph): out of line, so that the plain path below stays one flag test.
template <class Op>
[[gnu::noinline]] Value record_unary_guarded(Tape& tape, const Value& x, double xv, double y, double c) {
    if (!tape.grad_enabled()) return V::result(tape.record(y, code_of<Op>, 0), tape, y);
    Node* node = tape.record(y, code_of<Op>, 1);
    node->edges[0] = Edge{Op::partial(xv, y, c), &V::node(x)->grad};
    if (c != 0.0) tape.note_constant(c);
    return V::result(node, tape, y);
}

template <class Op> inline Value record_unary(const Value& x, double c = 0.0) {
    constexpr const char* name = ops::symbol_of<Op>();
    V::check(x, name);
    Tape& tape = tape_of(x, name);
    const double xv = V::value(x);
    const double y = Op::value(xv, c);
    check_forward(tape, name, y);
    if (!tape.plain_recording()) [[unlikely]]
        return record_unary_guarded<Op>(tape, x, xv, y, c);
    Node* node = tape.record(y, code_of<Op>, 1);
    node->edges[0] = Edge{Op::partial(xv, y, c), &V::node(x)->grad};
    return V::result(node, tape, y);
}

template <class Op> inline Value record_binary(const Value& a, const Value& b) {
    constexpr const char* name = ops::symbol_of<Op>();
    V::check(a, name);
    V::check(b, name);
    Tape& tape = tape_of(a, b, name);
    const double av = V::value(a), bv = V::value(b);
    const double y = Op::value(av, bv);
    check_forward(tape, name, y);
    if (!tape.grad_enabled()) [[unlikely]]
        return V::result(tape.record(y, code_of<Op>, 0), tape, y);
    if constexpr (std::is_same_v<Op, ops::Mul>)  // a product node (detail/product_node.hpp) if it may
        if (tape.plain_recording() && a.tape() != nullptr && b.tape() != nullptr) [[likely]]
            return V::result(tape.record_product(y, code_of<Op>, V::node(a), V::node(b)), tape, y);
    Node* node = tape.record(y, code_of<Op>, 2);
    node->edges[0] = Edge{Op::da(av, bv, y), &V::node(a)->grad};
    node->edges[1] = Edge{Op::db(av, bv, y), &V::node(b)->grad};
    return V::result(node, tape, y);
}

// ---- fusing (Note [fusing temporaries] in value.hpp): an op on a temporary x rewrites x's node
//
//   before:  t = f(p, q)      partials dt/dp, dt/dq        (t: the last node, named by x alone)
//   after:   y = op(t, b)     partials dt/dp * dy/dt, dt/dq * dy/dt, and dy/db appended
//
// which is the chain rule applied while recording; backward then makes one hop where it made two.
// It is not done when the outer partial dy/dt is 0 (the unfused t would get grad 0 and pass
// nothing on, and 0 * inf must not turn into NaN), nor in anomaly mode (whose messages name
// node positions), nor under NoGrad or HigherOrder (create_graph rebuilds a node's partials from
// its one op); those cases record a node as usual.

// x's node, if an op with `more` new operands may fold into it; else nullptr.
inline Node* fusable(const Value& x, std::uint32_t more) {
    Tape* tape = x.tape();
    if (!V::sole(x) || tape == nullptr || !tape->plain_recording() || anomaly_mode()) return nullptr;
    return tape->can_fuse(V::node(x), more) ? V::node(x) : nullptr;
}

// Every partial of node times d: the chain rule through the op being folded in.
inline void chain(Node* node, double d) {
    if (d == 1.0) return;  // sums: d is the constant 1 there, so this costs nothing
    for (Edge *e = node->edges, *end = e + node->n_edges; e != end; ++e) e->partial *= d;
}

template <class Op> inline Value fuse_unary(Value&& x, double c = 0.0) {
    V::check(x, ops::symbol_of<Op>());
    if (Node* node = fusable(x, 0)) {
        const double xv = V::value(x);
        const double y = Op::value(xv, c);
        const double d = Op::partial(xv, y, c);
        if (d != 0.0) [[likely]] {
            Tape& tape = *x.tape();
            if (is_product(*node)) {
                if (form_of(*node) == Form::product && (d == 1.0 || activation_form<Op> != Form::partials)) {
                    // x + c and relu of a positive pass the outer partial 1 on; an activation
                    // becomes the form. Either way the partials stay derivable from the values.
                    node->value = y;
                    tape.fuse_product_activation(node, code_of<Op>, d == 1.0 ? Form::product : activation_form<Op>);
                    V::consume(x);
                    return V::result(node, tape, y);
                }
                tape.expand_product(node);  // at the node's value before this op
            }
            node->value = y;
            chain(node, d);
            tape.fuse(node, code_of<Op>, 0);
            V::consume(x);
            return V::result(node, tape, y);  // a prvalue: a copy would mark it shared
        }
    }
    return record_unary<Op>(static_cast<const Value&>(x), c);
}

template <class Op> inline Value fuse_binary(Value&& a, const Value& b) {
    V::check(a, ops::symbol_of<Op>());
    V::check(b, ops::symbol_of<Op>());
    Node* node = fusable(a, 1);
    if (node != nullptr && V::node(b) != node && (b.tape() == nullptr || b.tape() == a.tape())) {
        const double av = V::value(a), bv = V::value(b);
        const double y = Op::value(av, bv);
        const double da = Op::da(av, bv, y);
        if (da != 0.0) [[likely]] {
            Tape& tape = *a.tape();
            if (is_product(*node)) {
                if constexpr (std::is_same_v<Op, ops::Add>)
                    if (form_of(*node) == Form::product && node->n_edges == 2) {  // a*b + c
                        node->value = y;
                        tape.fuse_product_bias(node, code_of<Op>, V::node(b));
                        V::consume(a);
                        return V::result(node, tape, y);
                    }
                tape.expand_product(node);  // at the node's value before this op
            }
            node->value = y;
            chain(node, da);
            *tape.fuse(node, code_of<Op>, 1) = Edge{Op::db(av, bv, y), &V::node(b)->grad};
            V::consume(a);
            return V::result(node, tape, y);
        }
    }
    return record_binary<Op>(static_cast<const Value&>(a), b);
}

}  // namespace tapegrad::detail
