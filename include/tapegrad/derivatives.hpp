// Derivatives of functions of plain doubles: the gradient, the Hessian, a Hessian-vector product
// and the Jacobian. f is any callable taking the inputs as Values, std::vector<Value>, and
// returning a Value (jacobian: a std::vector<Value>):
//
//   auto f = [](const std::vector<Value>& x) { return (x[0] * x[1]).sin() + x[0].pow(3); };
//   std::vector<std::vector<double>> h = tapegrad::hessian(f, {0.5, 2.0});  // h[i][j] = d2f/dxi dxj
//
// Each driver records f on a tape of its own (one per thread and level of nesting, kept warm
// between calls), made current for the call so that Values f makes from doubles go there too,
// and clears it before returning: the caller's current tape is neither written nor cleared, and
// f may itself call a driver. hessian and hvp record f under HigherOrder themselves.
#pragma once

#include <vector>

#include "tapegrad/detail/function_ref.hpp"
#include "tapegrad/value.hpp"

namespace tapegrad {

namespace detail {
using ScalarFunction = FunctionRef<Value(const std::vector<Value>&)>;
using VectorFunction = FunctionRef<std::vector<Value>(const std::vector<Value>&)>;
std::vector<double> gradient(ScalarFunction f, const std::vector<double>& x);
std::vector<std::vector<double>> hessian(ScalarFunction f, const std::vector<double>& x);
std::vector<double> hvp(ScalarFunction f, const std::vector<double>& x, const std::vector<double>& v);
std::vector<std::vector<double>> jacobian(VectorFunction f, const std::vector<double>& x);
}  // namespace detail

// df/dxi at x: one recording and one reverse sweep.
template <class F> std::vector<double> gradient(F f, const std::vector<double>& x) { return detail::gradient(f, x); }

// H[i][j] = d2f / dxi dxj at x: f recorded once, then H e_j by one forward-over-reverse pass
// per column, as hvp (about 2n + 1 gradients' work).
template <class F> std::vector<std::vector<double>> hessian(F f, const std::vector<double>& x) {
    return detail::hessian(f, x);
}

// H v at x without forming H: f recorded under HigherOrder, then one pass forward along v and
// one reverse pass carrying each adjoint and its derivative along v (forward over reverse, the
// derivative of the gradient's sweep along v; each partial's from its rule evaluated on dual
// numbers). Nothing is recorded for it: about two gradients' work, whatever the size of x.
// The same result as grad(grad(f) . v) by create_graph, at about half the cost. Error if v and x
// differ in size, or if f's graph holds a ScalarOp (no second derivative).
template <class F> std::vector<double> hvp(F f, const std::vector<double>& x, const std::vector<double>& v) {
    return detail::hvp(f, x, v);
}

// J[i][j] = dfi / dxj at x for f returning m Values: one recording and one sweep per output.
template <class F> std::vector<std::vector<double>> jacobian(F f, const std::vector<double>& x) {
    return detail::jacobian(f, x);
}

}  // namespace tapegrad
