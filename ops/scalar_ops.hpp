// Every scalar op: its value and its local partial derivatives side by side, then the one-line
// bindings that record it. Adding an op: write its struct, append it to ScalarOps, bind it.
//
// Partials are computed while recording (a "Jacobian tape"), so backward never calls back into
// an op: it only multiplies and adds.
#pragma once

#include <cmath>
#include <cstdint>
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
    static constexpr std::uint16_t code() {
        constexpr bool is_op[] = {std::is_same_v<Op, Ops>...};
        for (std::uint16_t i = 0; i < sizeof...(Ops); ++i)
            if (is_op[i]) return i;
        throw "not in the op list";  // a compile error: code() is only evaluated at compile time
    }
};
using ScalarOps = OpList<Leaf, AddConst, RSubConst, MulConst, DivConst, RDivConst, PowConst, Neg, Relu,
                         Tanh, Sigmoid, Exp, Log, Sqrt, Abs, Sin, Cos, Add, Sub, Mul, Div, Pow, Sum, Dot>;
template <class Op>
inline constexpr std::uint16_t code_of = ScalarOps::code<Op>();

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
        if (!std::isfinite(y)) throw_anomaly("forward", op, tape.size(), y);
}

template <class Op>
inline Value record_unary(const Value& x, double c = 0.0) {
    x.check(Op::name);
    Tape& tape = tape_for(x, Op::name);
    const double xv = x.node()->value;
    const double y = Op::value(xv, c);
    check_forward(tape, Op::name, y);
    if (!tape.grad_enabled()) [[unlikely]] return Value::wrap(tape.record(y, ops::code_of<Op>, 0), &tape);
    Node* node = tape.record(y, ops::code_of<Op>, 1);
    node->edges[0] = Edge{Op::partial(xv, y, c), &x.node()->grad};
    return Value::wrap(node, &tape);
}

template <class Op>
inline Value record_binary(const Value& a, const Value& b) {
    a.check(Op::name);
    b.check(Op::name);
    Tape& tape = tape_for(a, b, Op::name);
    const double av = a.node()->value, bv = b.node()->value;
    const double y = Op::value(av, bv);
    check_forward(tape, Op::name, y);
    if (!tape.grad_enabled()) [[unlikely]] return Value::wrap(tape.record(y, ops::code_of<Op>, 0), &tape);
    Node* node = tape.record(y, ops::code_of<Op>, 2);
    const auto [da, db] = Op::partials(av, bv, y);
    node->edges[0] = Edge{da, &a.node()->grad};
    node->edges[1] = Edge{db, &b.node()->grad};
    return Value::wrap(node, &tape);
}

}  // namespace tapegrad::detail

namespace tapegrad {

inline Value Value::pow(double exponent) const { return detail::record_unary<ops::PowConst>(*this, exponent); }
inline Value Value::pow(const Value& exponent) const { return detail::record_binary<ops::Pow>(*this, exponent); }
inline Value Value::relu() const { return detail::record_unary<ops::Relu>(*this); }
inline Value Value::tanh() const { return detail::record_unary<ops::Tanh>(*this); }
inline Value Value::sigmoid() const { return detail::record_unary<ops::Sigmoid>(*this); }
inline Value Value::exp() const { return detail::record_unary<ops::Exp>(*this); }
inline Value Value::log() const { return detail::record_unary<ops::Log>(*this); }
inline Value Value::sqrt() const { return detail::record_unary<ops::Sqrt>(*this); }
inline Value Value::abs() const { return detail::record_unary<ops::Abs>(*this); }
inline Value Value::sin() const { return detail::record_unary<ops::Sin>(*this); }
inline Value Value::cos() const { return detail::record_unary<ops::Cos>(*this); }

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

inline Value& Value::operator+=(const Value& o) { return *this = *this + o; }
inline Value& Value::operator-=(const Value& o) { return *this = *this - o; }
inline Value& Value::operator*=(const Value& o) { return *this = *this * o; }
inline Value& Value::operator/=(const Value& o) { return *this = *this / o; }
inline Value& Value::operator+=(double o) { return *this = *this + o; }
inline Value& Value::operator-=(double o) { return *this = *this - o; }
inline Value& Value::operator*=(double o) { return *this = *this * o; }
inline Value& Value::operator/=(double o) { return *this = *this / o; }

inline Value sum(std::span<const Value> xs) {
    Tape* tape = nullptr;
    for (const Value& x : xs) {
        x.check(ops::Sum::name);
        if (x.tape() == nullptr) continue;
        if (tape != nullptr && x.tape() != tape) [[unlikely]] detail::throw_mixed_tapes(ops::Sum::name);
        tape = x.tape();
    }
    if (tape == nullptr) tape = &Tape::current();
    double y = 0.0;
    for (const Value& x : xs) y += x.node()->value;
    detail::check_forward(*tape, ops::Sum::name, y);
    const std::uint32_t n = tape->grad_enabled() ? static_cast<std::uint32_t>(xs.size()) : 0;
    detail::Node* node = tape->record(y, ops::code_of<ops::Sum>, n);
    for (std::uint32_t i = 0; i < n; ++i) node->edges[i] = detail::Edge{1.0, &xs[i].node()->grad};
    return Value::wrap(node, tape);
}

inline Value dot(std::span<const Value> a, std::span<const Value> b) {
    if (a.size() != b.size()) [[unlikely]] detail::throw_size_mismatch(ops::Dot::name, a.size(), b.size());
    Tape* tape = nullptr;
    for (std::span<const Value> side : {a, b}) {
        for (const Value& x : side) {
            x.check(ops::Dot::name);
            if (x.tape() == nullptr) continue;
            if (tape != nullptr && x.tape() != tape) [[unlikely]] detail::throw_mixed_tapes(ops::Dot::name);
            tape = x.tape();
        }
    }
    if (tape == nullptr) tape = &Tape::current();
    double y = 0.0;
    for (std::size_t i = 0; i < a.size(); ++i) y += a[i].node()->value * b[i].node()->value;
    detail::check_forward(*tape, ops::Dot::name, y);
    const std::size_t n = a.size();
    if (!tape->grad_enabled()) return Value::wrap(tape->record(y, ops::code_of<ops::Dot>, 0), tape);
    detail::Node* node = tape->record(y, ops::code_of<ops::Dot>, static_cast<std::uint32_t>(2 * n));
    for (std::size_t i = 0; i < n; ++i) {
        node->edges[2 * i] = detail::Edge{b[i].node()->value, &a[i].node()->grad};
        node->edges[2 * i + 1] = detail::Edge{a[i].node()->value, &b[i].node()->grad};
    }
    return Value::wrap(node, tape);
}

}  // namespace tapegrad
