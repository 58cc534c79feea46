// The finite-difference gradient checker of the tests: analytic gradients from one backward
// against central differences in float64, for scalar Values and for tensors.
#pragma once

#include <cstddef>
#include <functional>
#include <vector>

#include <tapegrad/tapegrad.hpp>

namespace tapegrad::testing {

// two_point: (f(x+h) - f(x-h)) / 2h, truncation error O(h^2), at its best h (~1e-6) good to about
// 1e-8 relative. five_point: (f(x-2h) - 8 f(x-h) + 8 f(x+h) - f(x+2h)) / 12h, truncation error
// O(h^4), rounding error eps |f| / h, both near 1e-11 at h = 1e-4.
enum class Stencil { two_point, five_point };

// The central difference at 0 of f(offset), f being the function with one input moved by offset.
double central_difference(const std::function<double(double)>& f, double h, Stencil stencil);

// |analytic - numeric| / max(1, |numeric|): relative for large values, absolute near 0.
double relative_error(double analytic, double numeric);

struct GradCheck {
    double error;   // largest relative_error(analytic, numeric) over the inputs
    double spread;  // five_point: the same measure between the numeric estimates at h / 4 and at h;
                    // a kink or a steep region within reach of the stencil makes them disagree, so
                    // it tells how far the reference itself can be trusted. 0 for two_point.
};

// analytic[i] against the central difference of moved(i, offset): the function with input i
// moved by offset.
GradCheck compare(const std::vector<double>& analytic, const std::function<double(std::size_t, double)>& moved,
                  double h, Stencil stencil);

// A function of scalar leaves, checked at x. Clears the current tape before and after.
using ScalarFunction = std::function<Value(const std::vector<Value>&)>;
GradCheck gradcheck(const ScalarFunction& f, const std::vector<double>& x, double h = 1e-4,
                    Stencil stencil = Stencil::five_point);

// A function of float64 tensor leaves to a one-element tensor, checked at every element of every
// input. The moved evaluations run under NoGrad. Clears the current tape before and after.
struct TensorInput {
    Shape shape;
    std::vector<double> values;
};
using TensorFunction = std::function<Tensor(const std::vector<Tensor>&)>;
GradCheck gradcheck(const TensorFunction& f, const std::vector<TensorInput>& inputs, double h, Stencil stencil);

}  // namespace tapegrad::testing
