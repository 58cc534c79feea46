// The elementwise rules of the one-tensor ops: each op's value and its derivative side by side.
// Shared by their recorder (ops/tensor_unary.cpp) and by fused kernels that apply a rule inside a
// larger op (sigmoid in binary_cross_entropy_with_logits, ops/tensor_loss.cpp).
#pragma once

#include <cmath>

namespace tapegrad::ops::tensor {

// d(x + c)/dx = 1
struct AddC {
    static constexpr const char* name = "add";
    template <class T> static T value(T x, T c) { return x + c; }
    template <class T> static T partial(T, T, T) { return T(1); }
};
// d(c - x)/dx = -1
struct RSubC {
    static constexpr const char* name = "sub";
    template <class T> static T value(T x, T c) { return c - x; }
    template <class T> static T partial(T, T, T) { return T(-1); }
};
// d(x c)/dx = c
struct MulC {
    static constexpr const char* name = "mul";
    template <class T> static T value(T x, T c) { return x * c; }
    template <class T> static T partial(T, T, T c) { return c; }
};
// d(x / c)/dx = 1 / c
struct DivC {
    static constexpr const char* name = "div";
    template <class T> static T value(T x, T c) { return x / c; }
    template <class T> static T partial(T, T, T c) { return T(1) / c; }
};
// d(c / x)/dx = -c / x^2 = -y / x
struct RDivC {
    static constexpr const char* name = "div";
    template <class T> static T value(T x, T c) { return c / x; }
    template <class T> static T partial(T x, T y, T) { return -y / x; }
};
// d(-x)/dx = -1
struct Neg {
    static constexpr const char* name = "neg";
    template <class T> static T value(T x, T) { return -x; }
    template <class T> static T partial(T, T, T) { return T(-1); }
};
// d(x^c)/dx = c x^(c-1); 0 for c = 0 (as PyTorch)
struct PowC {
    static constexpr const char* name = "pow";
    template <class T> static T value(T x, T c) { return std::pow(x, c); }
    template <class T> static T partial(T x, T, T c) { return c == T(0) ? T(0) : c * std::pow(x, c - T(1)); }
};
// d relu(x)/dx = 1 if x > 0 else 0
struct Relu {
    static constexpr const char* name = "relu";
    template <class T> static T value(T x, T) { return x > T(0) ? x : T(0); }
    template <class T> static T partial(T x, T, T) { return x > T(0) ? T(1) : T(0); }
};
// d tanh(x)/dx = 1 - tanh(x)^2
struct Tanh {
    static constexpr const char* name = "tanh";
    template <class T> static T value(T x, T) { return std::tanh(x); }
    template <class T> static T partial(T, T y, T) { return T(1) - y * y; }
};
// d sigmoid(x)/dx = y (1 - y); the two branches never overflow exp
struct Sigmoid {
    static constexpr const char* name = "sigmoid";
    template <class T> static T value(T x, T) {
        if (x >= T(0)) return T(1) / (T(1) + std::exp(-x));
        const T e = std::exp(x);
        return e / (T(1) + e);
    }
    template <class T> static T partial(T, T y, T) { return y * (T(1) - y); }
};
// d exp(x)/dx = exp(x)
struct Exp {
    static constexpr const char* name = "exp";
    template <class T> static T value(T x, T) { return std::exp(x); }
    template <class T> static T partial(T, T y, T) { return y; }
};
// d log(x)/dx = 1 / x
struct Log {
    static constexpr const char* name = "log";
    template <class T> static T value(T x, T) { return std::log(x); }
    template <class T> static T partial(T x, T, T) { return T(1) / x; }
};
// d sqrt(x)/dx = 1 / (2 sqrt(x))
struct Sqrt {
    static constexpr const char* name = "sqrt";
    template <class T> static T value(T x, T) { return std::sqrt(x); }
    template <class T> static T partial(T, T y, T) { return T(0.5) / y; }
};
// d |x|/dx = sign(x), 0 at 0 (as PyTorch)
struct Abs {
    static constexpr const char* name = "abs";
    template <class T> static T value(T x, T) { return std::fabs(x); }
    template <class T> static T partial(T x, T, T) { return x > T(0) ? T(1) : (x < T(0) ? T(-1) : T(0)); }
};

}  // namespace tapegrad::ops::tensor
