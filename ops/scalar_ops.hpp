// Every scalar op: its value and its local partial derivatives side by side, then the one-line
// bindings that record it. Adding an op: write its struct, append it to ScalarOps, bind it.
//
// Partials are computed while recording (a "Jacobian tape"), so backward never calls back into
// an op: it only multiplies and adds.
#pragma once

#include <cmath>
#include <cstdint>
#include <iterator>
#include <span>
#include <utility>

#include "tapegrad/anomaly.hpp"
#include "tapegrad/value.hpp"

namespace tapegrad::ops {

// ---- unary ops: value(x, c) and partial(x, y, c) = dy/dx; c is a constant operand or unused

struct Leaf { static constexpr const char* name = "leaf"; };

// d(x + c)/dx = 1
struct AddConst {
    static constexpr const char* name = "+";
    static double value(double x, double c) { return x + c; }
    static double partial(double, double, double) { return 1.0; }
};
// d(c - x)/dx = -1
struct RSubConst {
    static constexpr const char* name = "-";
    static double value(double x, double c) { return c - x; }
    static double partial(double, double, double) { return -1.0; }
};
// d(x * c)/dx = c
struct MulConst {
    static constexpr const char* name = "*";
    static double value(double x, double c) { return x * c; }
    static double partial(double, double, double c) { return c; }
};
// d(x / c)/dx = 1 / c
struct DivConst {
    static constexpr const char* name = "/";
    static double value(double x, double c) { return x / c; }
    static double partial(double, double, double c) { return 1.0 / c; }
};
// d(c / x)/dx = -c / x^2 = -y / x
struct RDivConst {
    static constexpr const char* name = "/";
    static double value(double x, double c) { return c / x; }
    static double partial(double x, double y, double) { return -y / x; }
};
// d(x^c)/dx = c x^(c-1)
struct PowConst {
    static constexpr const char* name = "pow";
    static double value(double x, double c) { return std::pow(x, c); }
    static double partial(double x, double, double c) { return c == 0.0 ? 0.0 : c * std::pow(x, c - 1.0); }
};
// d(-x)/dx = -1
struct Neg {
    static constexpr const char* name = "neg";
    static double value(double x, double) { return -x; }
    static double partial(double, double, double) { return -1.0; }
};
// d relu(x)/dx = 1 if x > 0 else 0
struct Relu {
    static constexpr const char* name = "relu";
    static double value(double x, double) { return x > 0.0 ? x : 0.0; }
    static double partial(double x, double, double) { return x > 0.0 ? 1.0 : 0.0; }
};
// d tanh(x)/dx = 1 - tanh(x)^2
struct Tanh {
    static constexpr const char* name = "tanh";
    static double value(double x, double) { return std::tanh(x); }
    static double partial(double, double y, double) { return 1.0 - y * y; }
};
// d sigmoid(x)/dx = sigmoid(x) (1 - sigmoid(x)); the two branches never overflow exp
struct Sigmoid {
    static constexpr const char* name = "sigmoid";
    static double value(double x, double) {
        if (x >= 0.0) return 1.0 / (1.0 + std::exp(-x));
        const double e = std::exp(x);
        return e / (1.0 + e);
    }
    static double partial(double, double y, double) { return y * (1.0 - y); }
};
// d exp(x)/dx = exp(x)
struct Exp {
    static constexpr const char* name = "exp";
    static double value(double x, double) { return std::exp(x); }
    static double partial(double, double y, double) { return y; }
};
// d log(x)/dx = 1 / x
struct Log {
    static constexpr const char* name = "log";
    static double value(double x, double) { return std::log(x); }
    static double partial(double x, double, double) { return 1.0 / x; }
};
// d sqrt(x)/dx = 1 / (2 sqrt(x))
struct Sqrt {
    static constexpr const char* name = "sqrt";
    static double value(double x, double) { return std::sqrt(x); }
    static double partial(double, double y, double) { return 0.5 / y; }
};
// d |x|/dx = sign(x), 0 at 0 (as PyTorch)
struct Abs {
    static constexpr const char* name = "abs";
    static double value(double x, double) { return std::fabs(x); }
    static double partial(double x, double, double) { return x > 0.0 ? 1.0 : (x < 0.0 ? -1.0 : 0.0); }
};
// d sin(x)/dx = cos(x)
struct Sin {
    static constexpr const char* name = "sin";
    static double value(double x, double) { return std::sin(x); }
    static double partial(double x, double, double) { return std::cos(x); }
};
// d cos(x)/dx = -sin(x)
struct Cos {
    static constexpr const char* name = "cos";
    static double value(double x, double) { return std::cos(x); }
    static double partial(double x, double, double) { return -std::sin(x); }
};

// ---- binary ops: value(a, b) and partials(a, b, y) = {dy/da, dy/db}

struct Add {
    static constexpr const char* name = "+";
    static double value(double a, double b) { return a + b; }
    static std::pair<double, double> partials(double, double, double) { return {1.0, 1.0}; }
};
struct Sub {
    static constexpr const char* name = "-";
    static double value(double a, double b) { return a - b; }
    static std::pair<double, double> partials(double, double, double) { return {1.0, -1.0}; }
};
struct Mul {
    static constexpr const char* name = "*";
    static double value(double a, double b) { return a * b; }
    static std::pair<double, double> partials(double a, double b, double) { return {b, a}; }
};
// d(a/b)/da = 1/b, d(a/b)/db = -a/b^2 = -y/b
struct Div {
    static constexpr const char* name = "/";
    static double value(double a, double b) { return a / b; }
    static std::pair<double, double> partials(double, double b, double y) { return {1.0 / b, -y / b}; }
};
// d(a^b)/da = b a^(b-1), d(a^b)/db = a^b log(a); at a = 0 the latter is 0 for b > 0 (as PyTorch)
struct Pow {
    static constexpr const char* name = "pow";
    static double value(double a, double b) { return std::pow(a, b); }
    static std::pair<double, double> partials(double a, double b, double y) {
        const double da = b == 0.0 ? 0.0 : b * std::pow(a, b - 1.0);
        const double db = (a == 0.0 && b > 0.0) ? 0.0 : y * std::log(a);
        return {da, db};
    }
};

// ---- n-ary ops, recorded as one node with many parents (recorders below)

// d(x0 + x1 + ...)/dxi = 1
struct Sum { static constexpr const char* name = "sum"; };
// d(a . b)/dai = bi, d(a . b)/dbi = ai
struct Dot { static constexpr const char* name = "dot"; };

// The op table: a node stores its op's index here.
template <class... Ops>
struct OpList {
    static constexpr const char* names[] = {Ops::name...};
    template <class Op>
    static constexpr std::uint8_t code() {
        constexpr bool is_op[] = {std::is_same_v<Op, Ops>...};
        for (std::uint8_t i = 0; i < sizeof...(Ops); ++i)
            if (is_op[i]) return i;
        throw "not in the op list";  // a compile error: code() is only evaluated at compile time
    }
};
using ScalarOps = OpList<Leaf, AddConst, RSubConst, MulConst, DivConst, RDivConst, PowConst, Neg, Relu,
                         Tanh, Sigmoid, Exp, Log, Sqrt, Abs, Sin, Cos, Add, Sub, Mul, Div, Pow, Sum, Dot>;
template <class Op>
inline constexpr std::uint8_t code_of = ScalarOps::code<Op>();
static_assert(std::size(ScalarOps::names) <= 256, "a Node holds its op codes in 8 bits");

}  // namespace tapegrad::ops

namespace tapegrad::detail {

// The tape an op records on: its operands' (which must agree), else the current one.
inline Tape& tape_for(const Value& a, const char*) {
    return a.tape() != nullptr ? *a.tape() : Tape::current();
}
inline Tape& tape_for(const Value& a, const Value& b, const char* op) {
    if (a.tape() == nullptr) return tape_for(b, op);
    if (b.tape() != nullptr && b.tape() != a.tape()) [[unlikely]] throw_mixed_tapes(op);
    return *a.tape();
}

// Anomaly mode (tapegrad/anomaly.hpp): a non-finite result names the op and the index its node
// gets. When the mode is off this is one load and a branch that is never taken.
inline void check_forward(Tape& tape, const char* op, double y) {
    if (anomaly_mode()) [[unlikely]]
        if (!std::isfinite(y)) throw_anomaly("forward", op, tape.node_count(), y);
}

// The n-ary ops' check: every x is valid, and those on a tape are on one tape (`tape`, if not
// null); returns that tape or null. Shaped for long spans: the tape's generation is loaded once.
inline Tape* common_tape(std::span<const Value> xs, const char* op, Tape* tape) {
    std::uint64_t now = tape != nullptr ? tape->generation() : 0;
    for (const Value& x : xs) {
        Tape* t = x.tape();
        if (t == nullptr) {  // a parameter, or empty
            if (x.node() == nullptr) [[unlikely]] throw_empty(op);
            continue;
        }
        if (t == tape && x.generation() == now) [[likely]] continue;
        x.check(op);  // raises for a stale handle
        if (tape != nullptr && t != tape) [[unlikely]] throw_mixed_tapes(op);
        tape = t;
        now = t->generation();
    }
    return tape;
}

template <class Op>
inline Value record_unary(const Value& x, double c = 0.0) {
    x.check(Op::name);
    Tape& tape = tape_for(x, Op::name);
    const double xv = x.operand_value();
    const double y = Op::value(xv, c);
    check_forward(tape, Op::name, y);
    if (!tape.grad_enabled()) [[unlikely]] return Value::result(tape.record(y, ops::code_of<Op>, 0), tape, y);
    Node* node = tape.record(y, ops::code_of<Op>, 1);
    node->edges[0] = Edge{Op::partial(xv, y, c), &x.node()->grad};
    return Value::result(node, tape, y);
}

template <class Op>
inline Value record_binary(const Value& a, const Value& b) {
    a.check(Op::name);
    b.check(Op::name);
    Tape& tape = tape_for(a, b, Op::name);
    const double av = a.operand_value(), bv = b.operand_value();
    const double y = Op::value(av, bv);
    check_forward(tape, Op::name, y);
    if (!tape.grad_enabled()) [[unlikely]] return Value::result(tape.record(y, ops::code_of<Op>, 0), tape, y);
    Node* node = tape.record(y, ops::code_of<Op>, 2);
    const auto [da, db] = Op::partials(av, bv, y);
    node->edges[0] = Edge{da, &a.node()->grad};
    node->edges[1] = Edge{db, &b.node()->grad};
    return Value::result(node, tape, y);
}

// ---- fusing (Note [fusing temporaries] in value.hpp): an op on a temporary x rewrites x's node
//
//   before:  t = f(p, q)      partials dt/dp, dt/dq        (t: the last node, named by x alone)
//   after:   y = op(t, b)     partials dt/dp * dy/dt, dt/dq * dy/dt, and dy/db appended
//
// which is the chain rule applied while recording; backward then makes one hop where it made two.
// It is not done when the outer partial dy/dt is 0 (the unfused t would get grad 0 and pass
// nothing on, and 0 * inf must not turn into NaN), nor in anomaly mode (whose messages name
// node positions), nor under NoGrad; those cases record a node as usual.

// x's node, if an op with `more` new operands may fold into it; else nullptr.
inline Node* fusable(const Value& x, std::uint32_t more) {
    Tape* tape = x.tape();
    if (!x.sole() || tape == nullptr || !tape->grad_enabled() || anomaly_mode()) return nullptr;
    return tape->can_fuse(x.node(), more) ? x.node() : nullptr;
}

// Every partial of node times d: the chain rule through the op being folded in.
inline void chain(Node* node, double d) {
    if (d == 1.0) return;  // sums: d is the constant 1 there, so this costs nothing
    for (Edge *e = node->edges, *end = e + node->n_edges; e != end; ++e) e->partial *= d;
}

template <class Op>
inline Value fuse_unary(Value&& x, double c = 0.0) {
    x.check(Op::name);
    if (Node* node = fusable(x, 0)) {
        const double xv = x.operand_value();
        const double y = Op::value(xv, c);
        const double d = Op::partial(xv, y, c);
        if (d != 0.0) [[likely]] {
            node->value = y;
            chain(node, d);
            Tape& tape = *x.tape();
            tape.fuse(node, ops::code_of<Op>, 0);
            x.consumed();
            return Value::result(node, tape, y);  // a prvalue: a copy would mark it shared
        }
    }
    return record_unary<Op>(static_cast<const Value&>(x), c);
}

template <class Op>
inline Value fuse_binary(Value&& a, const Value& b) {
    a.check(Op::name);
    b.check(Op::name);
    Node* node = fusable(a, 1);
    if (node != nullptr && b.node() != node && (b.tape() == nullptr || b.tape() == a.tape())) {
        const double av = a.operand_value(), bv = b.operand_value();
        const double y = Op::value(av, bv);
        const auto [da, db] = Op::partials(av, bv, y);
        if (da != 0.0) [[likely]] {
            node->value = y;
            chain(node, da);
            Tape& tape = *a.tape();
            *tape.fuse(node, ops::code_of<Op>, 1) = Edge{db, &b.node()->grad};
            a.consumed();
            return Value::result(node, tape, y);
        }
    }
    return record_binary<Op>(static_cast<const Value&>(a), b);
}

}  // namespace tapegrad::detail


namespace tapegrad {

inline Value Value::pow(double exponent) const& { return detail::record_unary<ops::PowConst>(*this, exponent); }
inline Value Value::pow(double exponent) && { return detail::fuse_unary<ops::PowConst>(std::move(*this), exponent); }
inline Value Value::pow(const Value& exponent) const& { return detail::record_binary<ops::Pow>(*this, exponent); }
inline Value Value::pow(const Value& exponent) && { return detail::fuse_binary<ops::Pow>(std::move(*this), exponent); }
inline Value Value::relu() const& { return detail::record_unary<ops::Relu>(*this); }
inline Value Value::relu() && { return detail::fuse_unary<ops::Relu>(std::move(*this)); }
inline Value Value::tanh() const& { return detail::record_unary<ops::Tanh>(*this); }
inline Value Value::tanh() && { return detail::fuse_unary<ops::Tanh>(std::move(*this)); }
inline Value Value::sigmoid() const& { return detail::record_unary<ops::Sigmoid>(*this); }
inline Value Value::sigmoid() && { return detail::fuse_unary<ops::Sigmoid>(std::move(*this)); }
inline Value Value::exp() const& { return detail::record_unary<ops::Exp>(*this); }
inline Value Value::exp() && { return detail::fuse_unary<ops::Exp>(std::move(*this)); }
inline Value Value::log() const& { return detail::record_unary<ops::Log>(*this); }
inline Value Value::log() && { return detail::fuse_unary<ops::Log>(std::move(*this)); }
inline Value Value::sqrt() const& { return detail::record_unary<ops::Sqrt>(*this); }
inline Value Value::sqrt() && { return detail::fuse_unary<ops::Sqrt>(std::move(*this)); }
inline Value Value::abs() const& { return detail::record_unary<ops::Abs>(*this); }
inline Value Value::abs() && { return detail::fuse_unary<ops::Abs>(std::move(*this)); }
inline Value Value::sin() const& { return detail::record_unary<ops::Sin>(*this); }
inline Value Value::sin() && { return detail::fuse_unary<ops::Sin>(std::move(*this)); }
inline Value Value::cos() const& { return detail::record_unary<ops::Cos>(*this); }
inline Value Value::cos() && { return detail::fuse_unary<ops::Cos>(std::move(*this)); }

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
    Tape* tape = detail::common_tape(xs, ops::Sum::name, nullptr);
    if (tape == nullptr) tape = &Tape::current();
    double y = 0.0;
    for (const Value& x : xs) y += x.operand_value();
    detail::check_forward(*tape, ops::Sum::name, y);
    const std::uint32_t n = tape->grad_enabled() ? static_cast<std::uint32_t>(xs.size()) : 0;
    detail::Node* node = tape->record(y, ops::code_of<ops::Sum>, n);
    for (std::uint32_t i = 0; i < n; ++i) node->edges[i] = detail::Edge{1.0, &xs[i].node()->grad};
    return Value::result(node, *tape, y);
}

namespace detail {

// True if x may be read without further checks by an op recording on `tape` at generation
// `now`: x is a parameter or was recorded on `tape` since its last clear().
inline bool readable_on(const Value& x, const Tape* tape, std::uint64_t now) {
    return x.tape() == tape ? x.generation() == now : x.tape() == nullptr && x.node() != nullptr;
}

// a . b on `tape` in one pass, S2's hot loop (a neuron's weighted sum is one dot): each operand
// pair is checked, summed, and given its two partials in the edge slots the node will own; the
// node is recorded only once every operand passed. If one is not readable_on the tape, returns
// an empty Value having recorded nothing. Values are read from the nodes, which hold what
// operand_value() would give: an op result's node can no longer be fused into once a later node
// exists, and a leaf's holds its current value.
inline Value record_dot(Tape& tape, std::span<const Value> a, std::span<const Value> b) {
    const std::uint64_t now = tape.generation();
    const auto n_edges = static_cast<std::uint32_t>(2 * a.size());
    Edge* edges = tape.edge_room(n_edges);  // filled in as the loop goes
    double y = 0.0;
    const Value* z = b.data();
    for (const Value& x : a) {
        if (!readable_on(x, &tape, now) || !readable_on(*z, &tape, now)) [[unlikely]] return Value();
        const double xv = x.node()->value, zv = z->node()->value;
        y += xv * zv;
        edges[0] = Edge{zv, &x.node()->grad};
        edges[1] = Edge{xv, &z->node()->grad};
        edges += 2;
        ++z;
    }
    return Value::result(tape.record_in_room(y, ops::code_of<ops::Dot>, n_edges), tape, y);
}

// dot for every case record_dot on the first operands' tape leaves: operands on another tape,
// handles that are empty or stale (common_tape raises Error for those), NoGrad, anomaly mode.
[[gnu::noinline]] inline Value dot_general(std::span<const Value> a, std::span<const Value> b) {
    Tape* tape = common_tape(a, ops::Dot::name, nullptr);
    tape = common_tape(b, ops::Dot::name, tape);
    if (tape == nullptr) tape = &Tape::current();
    if (!tape->grad_enabled() || anomaly_mode()) {
        double y = 0.0;  // the value first, so that anomaly mode checks it before anything is recorded
        for (std::size_t i = 0; i < a.size(); ++i) y += a[i].operand_value() * b[i].operand_value();
        check_forward(*tape, ops::Dot::name, y);
        if (!tape->grad_enabled()) return Value::result(tape->record(y, ops::code_of<ops::Dot>, 0), *tape, y);
    }
    return record_dot(*tape, a, b);  // every operand passed common_tape's check
}

}  // namespace detail

inline Value dot(std::span<const Value> a, std::span<const Value> b) {
    if (b.size() != a.size()) [[unlikely]] detail::throw_size_mismatch(ops::Dot::name, a.size(), b.size());
    Tape* tape = a.empty() ? nullptr : a[0].tape() != nullptr ? a[0].tape() : b[0].tape();
    if (tape == nullptr) tape = &Tape::current();
    if (tape->grad_enabled() && !detail::anomaly_mode()) [[likely]]
        if (Value v = detail::record_dot(*tape, a, b); v.node() != nullptr) return v;
    return detail::dot_general(a, b);
}

}  // namespace tapegrad
