// Every elementwise rule, written once for both engines: an op's value and its local derivative
// side by side, as templates over the number type. The scalar engine evaluates them on doubles
// while recording (include/tapegrad/ops/scalar.hpp); the tensor kernels evaluate them on each
// element, float or double (ops/tensor_unary.cpp, ops/tensor_binary.cpp).
//
//   unary:   value(x, c)  and  partial(x, y, c) = dy/dx       (c: a constant operand, or unused)
//   binary:  value(a, b)  and  da(a, b, y) = dy/da, db(a, b, y) = dy/db
//
// `name` is the op's name in tensor errors ("add"); the scalar engine names ops by `symbol`
// where one is given ("+"), as micrograd's pictures do, and by `name` otherwise.
// `domain` is where the tests draw inputs for the op's finite-difference check: an op without
// one does not compile in the tests.
//
// Partials are also evaluated on Values, by grad(..., {.create_graph = true}), which records them
// as expressions so that they can be differentiated again (docs/EXTENDING.md, "Differentiating
// twice"). So a partial is written for any number type T: constants as integer literals or
// Const<T>(0.5) (never T(0.5), which would be a node of its own for a Value), comparisons through
// the math helpers below, math functions called unqualified after `using std::exp;` (Values have
// free functions tapegrad::exp etc.). A partial that is a constant returns Const<T>, so that
// create_graph records nothing for it (or, for one that is constant per element, step(x) say,
// auto: a double for a Value, a constant tensor for a Tensor). Tensor grad with create_graph
// evaluates the same partials on Tensors (T = Tensor, whose hidden friends give exp, step, zero
// etc.): gx = gy * partial(x, y, c). `value` is only evaluated on numbers.
//
// Adding a unary op: write its struct here and add one line to TAPEGRAD_UNARY_OPS below; Value
// and Tensor then both have it as a method, and the tests check it on both engines.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <type_traits>

// The rules are laid out as a table, one line per value and derivative: kept out of clang-format.
// clang-format off
namespace tapegrad::ops {

// Where a rule's finite-difference check draws its inputs: (lo, hi), and (-hi, -lo) too if
// `mirrored` (ops with a kink at 0 are checked on both sides of it, never across).
struct Domain {
    double lo, hi;
    bool mirrored = false;
};

// The type of a rule's constants and constant operand: T itself for float and double lanes (so
// that float kernels stay in float), double for Values.
template <class T>
using Const = std::conditional_t<std::is_floating_point_v<T>, T, double>;

// Comparisons for the rules, on numbers. Rules call them unqualified, so that Value's overloads
// (hidden friends in value.hpp, found by argument-dependent lookup) take over for Values: they
// compare the Value's number and give a constant.
namespace math {
template <class T>
    requires std::is_floating_point_v<T>
T step(T x) {  // 1 where x > 0, else 0
    return x > T(0) ? T(1) : T(0);
}
template <class T>
    requires std::is_floating_point_v<T>
T positive_part(T x) {  // x where x > 0, else +0 (for a NaN too)
    // x's bits under a mask rather than a choice: compilers turn the choice into a branch on the
    // sign of x where it sits beside other work, and a relu's input sign is a coin toss.
    using Bits = std::conditional_t<sizeof(T) == 8, std::uint64_t, std::uint32_t>;
    static_assert(sizeof(Bits) == sizeof(T), "positive_part: float and double only");
    const Bits keep = Bits{0} - static_cast<Bits>(x > T(0));
    return std::bit_cast<T>(std::bit_cast<Bits>(x) & keep);
}
template <class T>
    requires std::is_floating_point_v<T>
T sign(T x) {  // -1, 0 or 1 (0 at 0, as PyTorch's abs' derivative)
    return x > T(0) ? T(1) : (x < T(0) ? T(-1) : T(0));
}
template <class T>
    requires std::is_floating_point_v<T>
T number(T x) {  // the number a guard compares (a Value's overload gives its value)
    return x;
}
// Zero of x's kind, for a partial that is 0 in some case: a tensor of zeros for a Tensor (whose
// overload, a hidden friend, takes over).
template <class T>
T zero(const T&) {
    return T(0);
}
}  // namespace math
using math::number;
using math::sign;
using math::step;
using math::zero;

// ---- unary ops

// d(x + c)/dx = 1
struct AddConst {
    static constexpr const char* name = "add";
    static constexpr const char* symbol = "+";
    static constexpr Domain domain{-3, 3};
    template <class T> static T value(T x, Const<T> c) { return x + c; }
    template <class T> static Const<T> partial(T, T, Const<T>) { return 1; }
};
// d(c - x)/dx = -1
struct RSubConst {
    static constexpr const char* name = "sub";
    static constexpr const char* symbol = "-";
    static constexpr Domain domain{-3, 3};
    template <class T> static T value(T x, Const<T> c) { return c - x; }
    template <class T> static Const<T> partial(T, T, Const<T>) { return -1; }
};
// d(x c)/dx = c
struct MulConst {
    static constexpr const char* name = "mul";
    static constexpr const char* symbol = "*";
    static constexpr Domain domain{-3, 3};
    template <class T> static T value(T x, Const<T> c) { return x * c; }
    template <class T> static Const<T> partial(T, T, Const<T> c) { return c; }
};
// d(x / c)/dx = 1 / c
struct DivConst {
    static constexpr const char* name = "div";
    static constexpr const char* symbol = "/";
    static constexpr Domain domain{-3, 3};
    template <class T> static T value(T x, Const<T> c) { return x / c; }
    template <class T> static Const<T> partial(T, T, Const<T> c) { return 1 / c; }
};
// d(c / x)/dx = -c / x^2 = -y / x
struct RDivConst {
    static constexpr const char* name = "div";
    static constexpr const char* symbol = "/";
    static constexpr Domain domain{0.5, 3};
    template <class T> static T value(T x, Const<T> c) { return c / x; }
    template <class T> static T partial(T x, T y, Const<T>) { return -y / x; }
};
// d(x^c)/dx = c x^(c-1); 0 for c = 0 (as PyTorch)
struct PowConst {
    static constexpr const char* name = "pow";
    static constexpr Domain domain{0.5, 3};
    template <class T> static T value(T x, Const<T> c) { using std::pow; return pow(x, c); }
    template <class T> static T partial(T x, T, Const<T> c) { using std::pow; return c == 0 ? zero(x) : c * pow(x, c - 1); }
};
// d(-x)/dx = -1
struct Neg {
    static constexpr const char* name = "neg";
    static constexpr Domain domain{-3, 3};
    template <class T> static T value(T x, Const<T>) { return -x; }
    template <class T> static Const<T> partial(T, T, Const<T>) { return -1; }
};
// d relu(x)/dx = 1 if x > 0 else 0
struct Relu {
    static constexpr const char* name = "relu";
    static constexpr Domain domain{0.1, 3, true};
    template <class T> static T value(T x, Const<T>) { return math::positive_part(x); }
    template <class T> static auto partial(T x, T, Const<T>) { return step(x); }
};
// d tanh(x)/dx = 1 - tanh(x)^2
struct Tanh {
    static constexpr const char* name = "tanh";
    static constexpr Domain domain{-3, 3};
    template <class T> static T value(T x, Const<T>) { using std::tanh; return tanh(x); }
    template <class T> static T partial(T, T y, Const<T>) { return 1 - y * y; }
};
// d sigmoid(x)/dx = y (1 - y); the two branches never overflow exp
struct Sigmoid {
    static constexpr const char* name = "sigmoid";
    static constexpr Domain domain{-5, 5};
    template <class T> static T value(T x, Const<T>) {
        using std::exp;
        if (x >= T(0)) return T(1) / (T(1) + exp(-x));
        const T e = exp(x);
        return e / (T(1) + e);
    }
    template <class T> static T partial(T, T y, Const<T>) { return y * (1 - y); }
};
// d exp(x)/dx = exp(x)
struct Exp {
    static constexpr const char* name = "exp";
    static constexpr Domain domain{-3, 3};
    template <class T> static T value(T x, Const<T>) { using std::exp; return exp(x); }
    template <class T> static T partial(T, T y, Const<T>) { return y; }
};
// d log(x)/dx = 1 / x
struct Log {
    static constexpr const char* name = "log";
    static constexpr Domain domain{0.1, 5};
    template <class T> static T value(T x, Const<T>) { using std::log; return log(x); }
    template <class T> static T partial(T x, T, Const<T>) { return 1 / x; }
};
// d sqrt(x)/dx = 1 / (2 sqrt(x))
struct Sqrt {
    static constexpr const char* name = "sqrt";
    static constexpr Domain domain{0.1, 5};
    template <class T> static T value(T x, Const<T>) { using std::sqrt; return sqrt(x); }
    template <class T> static T partial(T, T y, Const<T>) { return Const<T>(0.5) / y; }
};
// d |x|/dx = sign(x), 0 at 0 (as PyTorch)
struct Abs {
    static constexpr const char* name = "abs";
    static constexpr Domain domain{0.1, 3, true};
    template <class T> static T value(T x, Const<T>) { using std::fabs; return fabs(x); }
    template <class T> static auto partial(T x, T, Const<T>) { return sign(x); }
};
// d sin(x)/dx = cos(x)
struct Sin {
    static constexpr const char* name = "sin";
    static constexpr Domain domain{-3, 3};
    template <class T> static T value(T x, Const<T>) { using std::sin; return sin(x); }
    template <class T> static T partial(T x, T, Const<T>) { using std::cos; return cos(x); }
};
// d cos(x)/dx = -sin(x)
struct Cos {
    static constexpr const char* name = "cos";
    static constexpr Domain domain{-3, 3};
    template <class T> static T value(T x, Const<T>) { using std::cos; return cos(x); }
    template <class T> static T partial(T x, T, Const<T>) { using std::sin; return -sin(x); }
};

// The unary ops that are methods of both Value and Tensor, one line each: X(method, Rule).
// Value gets method() const& and method() && (the latter may fuse, Note [fusing temporaries]),
// Tensor gets method() const.
#define TAPEGRAD_UNARY_OPS(X) \
    X(relu, Relu)             \
    X(tanh, Tanh)             \
    X(sigmoid, Sigmoid)       \
    X(exp, Exp)               \
    X(log, Log)               \
    X(sqrt, Sqrt)             \
    X(abs, Abs)               \
    X(sin, Sin)               \
    X(cos, Cos)

// ---- binary ops

// d(a + b)/da = 1, d(a + b)/db = 1
struct Add {
    static constexpr const char* name = "add";
    static constexpr const char* symbol = "+";
    static constexpr Domain domain{-3, 3};
    template <class T> static T value(T a, T b) { return a + b; }
    template <class T> static Const<T> da(T, T, T) { return 1; }
    template <class T> static Const<T> db(T, T, T) { return 1; }
};
// d(a - b)/da = 1, d(a - b)/db = -1
struct Sub {
    static constexpr const char* name = "sub";
    static constexpr const char* symbol = "-";
    static constexpr Domain domain{-3, 3};
    template <class T> static T value(T a, T b) { return a - b; }
    template <class T> static Const<T> da(T, T, T) { return 1; }
    template <class T> static Const<T> db(T, T, T) { return -1; }
};
// d(a b)/da = b, d(a b)/db = a
struct Mul {
    static constexpr const char* name = "mul";
    static constexpr const char* symbol = "*";
    static constexpr Domain domain{-3, 3};
    template <class T> static T value(T a, T b) { return a * b; }
    template <class T> static T da(T, T b, T) { return b; }
    template <class T> static T db(T a, T, T) { return a; }
};
// d(a / b)/da = 1 / b, d(a / b)/db = -a / b^2 = -y / b
struct Div {
    static constexpr const char* name = "div";
    static constexpr const char* symbol = "/";
    static constexpr Domain domain{0.5, 3};
    template <class T> static T value(T a, T b) { return a / b; }
    template <class T> static T da(T, T b, T) { return 1 / b; }
    template <class T> static T db(T, T b, T y) { return -y / b; }
};
// d(a^b)/da = b a^(b-1), d(a^b)/db = a^b log(a); at a = 0 the latter is 0 for b > 0 (as PyTorch)
struct Pow {
    static constexpr const char* name = "pow";
    static constexpr Domain domain{0.5, 3};
    template <class T> static T value(T a, T b) { using std::pow; return pow(a, b); }
    template <class T> static T da(T a, T b, T) { using std::pow; return number(b) == 0 ? T(0) : b * pow(a, b - 1); }
    template <class T> static T db(T a, T b, T y) { using std::log; return number(a) == 0 && number(b) > 0 ? T(0) : y * log(a); }
};

// The name the scalar engine gives an op: its symbol if it has one ("+"), else its name.
template <class Op>
constexpr const char* symbol_of() {
    if constexpr (requires { Op::symbol; }) return Op::symbol;
    else return Op::name;
}

}  // namespace tapegrad::ops
// clang-format on
