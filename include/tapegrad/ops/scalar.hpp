// The scalar engine's ops: each elementwise rule (tapegrad/ops/elementwise.hpp) bound to Value's
// methods and operators by one line, and the n-ary ops sum and dot, recorded as one node with
// many parents. Backward never calls back into an op: partials are computed while recording (a
// "Jacobian tape"), so the sweep only multiplies and adds.
#pragma once

#include <cstdint>
#include <span>
#include <utility>

#include "tapegrad/anomaly.hpp"
#include "tapegrad/detail/record.hpp"
#include "tapegrad/value.hpp"

namespace tapegrad {

// Inline, as every op: a Value built by a call comes back through memory, and copying it out
// then waits for the stores to reach the cache (they cannot be forwarded to its wider loads).
inline Value::Value(Tape& tape, double x)
    : node_(tape.record(x, detail::code_of<ops::Leaf>, 0)), tape_(&tape), generation_(tape.generation()) {}
inline Value::Value(double x) : Value(Tape::current(), x) {}

inline Value Value::pow(double exponent) const& { return detail::record_unary<ops::PowConst>(*this, exponent); }
inline Value Value::pow(double exponent) && { return detail::fuse_unary<ops::PowConst>(std::move(*this), exponent); }
inline Value Value::pow(const Value& exponent) const& { return detail::record_binary<ops::Pow>(*this, exponent); }
inline Value Value::pow(const Value& exponent) && { return detail::fuse_binary<ops::Pow>(std::move(*this), exponent); }
#define TAPEGRAD_BIND_UNARY(method, Rule)                                                  \
    inline Value Value::method() const& { return detail::record_unary<ops::Rule>(*this); } \
    inline Value Value::method()&& { return detail::fuse_unary<ops::Rule>(std::move(*this)); }
TAPEGRAD_UNARY_OPS(TAPEGRAD_BIND_UNARY)
#undef TAPEGRAD_BIND_UNARY
#define TAPEGRAD_BIND_FREE_UNARY(method, Rule) \
    inline Value method(const Value& x) { return detail::record_unary<ops::Rule>(x); }
TAPEGRAD_UNARY_OPS(TAPEGRAD_BIND_FREE_UNARY)
#undef TAPEGRAD_BIND_FREE_UNARY
inline Value pow(const Value& x, double exponent) { return detail::record_unary<ops::PowConst>(x, exponent); }
inline Value pow(const Value& x, const Value& exponent) { return detail::record_binary<ops::Pow>(x, exponent); }

inline Value operator+(const Value& a, const Value& b) { return detail::record_binary<ops::Add>(a, b); }
inline Value operator-(const Value& a, const Value& b) { return detail::record_binary<ops::Sub>(a, b); }
inline Value operator*(const Value& a, const Value& b) { return detail::record_binary<ops::Mul>(a, b); }
inline Value operator/(const Value& a, const Value& b) { return detail::record_binary<ops::Div>(a, b); }
inline Value operator+(const Value& a, double b) { return detail::record_unary<ops::AddConst>(a, b); }
inline Value operator-(const Value& a, double b) { return detail::record_unary<ops::AddConst>(a, -b); }
inline Value operator*(const Value& a, double b) { return detail::record_unary<ops::MulConst>(a, b); }
inline Value operator/(const Value& a, double b) { return detail::record_unary<ops::DivConst>(a, b); }
inline Value operator+(double a, const Value& b) { return detail::record_unary<ops::AddConst>(b, a); }
inline Value operator-(double a, const Value& b) { return detail::record_unary<ops::RSubConst>(b, a); }
inline Value operator*(double a, const Value& b) { return detail::record_unary<ops::MulConst>(b, a); }
inline Value operator/(double a, const Value& b) { return detail::record_unary<ops::RDivConst>(b, a); }
inline Value operator-(const Value& a) { return detail::record_unary<ops::Neg>(a); }
inline Value operator+(Value&& a, const Value& b) { return detail::fuse_binary<ops::Add>(std::move(a), b); }
inline Value operator-(Value&& a, const Value& b) { return detail::fuse_binary<ops::Sub>(std::move(a), b); }
inline Value operator*(Value&& a, const Value& b) { return detail::fuse_binary<ops::Mul>(std::move(a), b); }
inline Value operator/(Value&& a, const Value& b) { return detail::fuse_binary<ops::Div>(std::move(a), b); }
inline Value operator+(Value&& a, double b) { return detail::fuse_unary<ops::AddConst>(std::move(a), b); }
inline Value operator-(Value&& a, double b) { return detail::fuse_unary<ops::AddConst>(std::move(a), -b); }
inline Value operator*(Value&& a, double b) { return detail::fuse_unary<ops::MulConst>(std::move(a), b); }
inline Value operator/(Value&& a, double b) { return detail::fuse_unary<ops::DivConst>(std::move(a), b); }
inline Value operator+(double a, Value&& b) { return detail::fuse_unary<ops::AddConst>(std::move(b), a); }
inline Value operator-(double a, Value&& b) { return detail::fuse_unary<ops::RSubConst>(std::move(b), a); }
inline Value operator*(double a, Value&& b) { return detail::fuse_unary<ops::MulConst>(std::move(b), a); }
inline Value operator/(double a, Value&& b) { return detail::fuse_unary<ops::RDivConst>(std::move(b), a); }
inline Value operator-(Value&& a) { return detail::fuse_unary<ops::Neg>(std::move(a)); }

inline Value& Value::operator+=(const Value& o) { return *this = *this + o; }
inline Value& Value::operator-=(const Value& o) { return *this = *this - o; }
inline Value& Value::operator*=(const Value& o) { return *this = *this * o; }
inline Value& Value::operator/=(const Value& o) { return *this = *this / o; }
inline Value& Value::operator+=(double o) { return *this = *this + o; }
inline Value& Value::operator-=(double o) { return *this = *this - o; }
inline Value& Value::operator*=(double o) { return *this = *this * o; }
inline Value& Value::operator/=(double o) { return *this = *this / o; }

inline Value sum(std::span<const Value> xs) {
    Tape* tape = detail::tape_of(xs, ops::Sum::name, nullptr);
    if (tape == nullptr) tape = &Tape::current();
    double y = 0.0;
    for (const Value& x : xs) y += detail::V::value(x);
    detail::check_forward(*tape, ops::Sum::name, y);
    const std::uint32_t n = tape->grad_enabled() ? static_cast<std::uint32_t>(xs.size()) : 0;
    detail::Node* node = tape->record(y, detail::code_of<ops::Sum>, n);
    for (std::uint32_t i = 0; i < n; ++i) node->edges[i] = detail::Edge{1.0, &detail::V::node(xs[i])->grad};
    return detail::V::result(node, *tape, y);
}

namespace detail {

// True if x may be read without further checks by an op recording on `tape` at generation
// `now`: x is a parameter or was recorded on `tape` since its last clear().
// One comparison each way: a generation names one tape (tape.hpp), and only a parameter's handle
// has kParameterGeneration (an empty one has 0).
inline bool readable_on(const Value& x, std::uint64_t now) {
    const std::uint64_t g = V::generation(x);
    return g == now || g == kParameterGeneration;
}

// a . b (+ bias, if given) on `tape` in one pass, S2's hot loop (a neuron's weighted sum is one
// dot): each operand pair is checked, summed, and given its two partials in the edge slots the
// node will own; the node is recorded only once every operand passed. If one is not readable_on
// the tape, returns an empty Value having recorded nothing. Values are read from the nodes, which
// hold what ValueAccess::value() would give: an op result's node can no longer be fused into once
// a later node exists, and a leaf's holds its current value. With a bias, the node is the one
// `dot(a, b) + bias` makes by fusing (Note [fusing temporaries]): the same value, partials, op
// codes and op count, without a second pass over the node.
inline Value record_dot(Tape& tape, std::span<const Value> a, std::span<const Value> b, const Value* bias = nullptr) {
    const std::uint64_t now = tape.generation();
    const auto n_dot = static_cast<std::uint32_t>(2 * a.size());
    const std::uint32_t n_edges = n_dot + (bias != nullptr ? 1 : 0);
    Edge* edges = tape.edge_room(n_edges);  // filled in as the loop goes
    double y = 0.0;
    const Value* z = b.data();
    for (const Value& x : a) {
        if (!readable_on(x, now) || !readable_on(*z, now)) [[unlikely]]
            return Value();
        const double xv = V::node(x)->value, zv = V::node(*z)->value;
        y += xv * zv;
        edges[0] = Edge{zv, &V::node(x)->grad};
        edges[1] = Edge{xv, &V::node(*z)->grad};
        edges += 2;
        ++z;
    }
    if (bias == nullptr) return V::result(tape.record_in_room(y, code_of<ops::Dot>, n_edges), tape, y);
    // A dot without partials (a is empty) is not fused into: dot_general's path records two nodes.
    if (n_dot == 0 || !readable_on(*bias, now) || !tape.plain_recording()) [[unlikely]]
        return Value();
    y = ops::Add::value(y, V::node(*bias)->value);
    edges[0] = Edge{1.0, &V::node(*bias)->grad};  // d(t + bias)/d bias; d/dt is 1 and leaves the dot's partials
    return V::result(tape.record_fused_in_room(y, code_of<ops::Dot>, code_of<ops::Add>, n_edges), tape, y);
}

// dot for every case record_dot on the first operands' tape leaves: operands on another tape,
// handles that are empty or stale (tape_of raises Error for those), NoGrad, anomaly mode.
[[gnu::noinline]] inline Value dot_general(std::span<const Value> a, std::span<const Value> b) {
    Tape* tape = tape_of(a, ops::Dot::name, nullptr);
    tape = tape_of(b, ops::Dot::name, tape);
    if (tape == nullptr) tape = &Tape::current();
    if (!tape->grad_enabled() || anomaly_mode()) {
        double y = 0.0;  // the value first, so that anomaly mode checks it before anything is recorded
        for (std::size_t i = 0; i < a.size(); ++i) y += V::value(a[i]) * V::value(b[i]);
        check_forward(*tape, ops::Dot::name, y);
        if (!tape->grad_enabled()) return V::result(tape->record(y, code_of<ops::Dot>, 0), *tape, y);
    }
    return record_dot(*tape, a, b);  // every operand passed tape_of's check
}

}  // namespace detail

// Always inline: a neuron records one dot, and its Value returned from a call would come back
// through memory (see Value::Value above). The two overloads are written out on purpose: one
// helper taking the bias as a pointer made GCC's code for the hand-built S2 network's forward
// 1.11-1.15x slower (two dots written out cost seven lines).
[[gnu::always_inline]] inline Value dot(std::span<const Value> a, std::span<const Value> b) {
    if (b.size() != a.size()) [[unlikely]]
        detail::throw_size_mismatch(ops::Dot::name, a.size(), b.size());
    Tape* tape = a.empty() ? nullptr : a[0].tape() != nullptr ? a[0].tape() : b[0].tape();
    if (tape == nullptr) tape = &Tape::current();
    if (tape->grad_enabled() && !detail::anomaly_mode()) [[likely]]
        if (Value v = detail::record_dot(*tape, a, b); detail::V::node(v) != nullptr) return v;
    return detail::dot_general(a, b);
}

[[gnu::always_inline]] inline Value dot(std::span<const Value> a, std::span<const Value> b, const Value& bias) {
    if (b.size() != a.size()) [[unlikely]]
        detail::throw_size_mismatch(ops::Dot::name, a.size(), b.size());
    Tape* tape = a.empty() ? nullptr : a[0].tape() != nullptr ? a[0].tape() : b[0].tape();
    if (tape == nullptr) tape = &Tape::current();
    if (tape->grad_enabled() && !detail::anomaly_mode()) [[likely]]
        if (Value v = detail::record_dot(*tape, a, b, &bias); detail::V::node(v) != nullptr) return v;
    return detail::dot_general(a, b) + bias;
}

}  // namespace tapegrad
