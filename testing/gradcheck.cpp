// The checker's arithmetic: the stencils, and the scalar and tensor front ends over compare().
#include "gradcheck.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

namespace tapegrad::testing {

double central_difference(const std::function<double(double)>& f, double h, Stencil stencil) {
    if (stencil == Stencil::two_point) return (f(h) - f(-h)) / (2 * h);
    return (f(-2 * h) - 8 * f(-h) + 8 * f(h) - f(2 * h)) / (12 * h);
}

double relative_error(double analytic, double numeric) {
    return std::fabs(analytic - numeric) / std::max(1.0, std::fabs(numeric));
}

GradCheck compare(const std::vector<double>& analytic, const std::function<double(std::size_t, double)>& moved,
                  double h, Stencil stencil) {
    GradCheck out{0.0, 0.0};
    for (std::size_t i = 0; i < analytic.size(); ++i) {
        const auto f = [&](double offset) { return moved(i, offset); };
        const double numeric = central_difference(f, h, stencil);
        out.error = std::max(out.error, relative_error(analytic[i], numeric));
        if (stencil == Stencil::five_point)
            out.spread = std::max(out.spread, relative_error(central_difference(f, h / 4, stencil), numeric));
    }
    return out;
}

GradCheck gradcheck(const ScalarFunction& f, const std::vector<double>& x, double h, Stencil stencil) {
    Tape& tape = Tape::current();
    tape.clear();
    std::vector<Value> leaves(x.begin(), x.end());
    Value y = f(leaves);
    y.backward();
    std::vector<double> analytic;
    for (const Value& leaf : leaves) analytic.push_back(leaf.grad());

    const auto moved = [&](std::size_t i, double offset) {
        std::vector<double> at = x;
        at[i] += offset;
        tape.clear();
        std::vector<Value> l(at.begin(), at.end());
        return f(l).data();
    };
    const GradCheck out = compare(analytic, moved, h, stencil);
    tape.clear();
    return out;
}

GradCheck gradcheck(const TensorFunction& f, const std::vector<TensorInput>& inputs, double h, Stencil stencil) {
    Tape& tape = Tape::current();
    tape.clear();
    std::vector<Tensor> leaves;
    for (const TensorInput& in : inputs) leaves.push_back(Tensor::from(in.values, in.shape, DType::f64, true));
    f(leaves).backward();
    // Every element of every input, in order: (input k, element e) is flat index i.
    std::vector<double> analytic;
    std::vector<std::pair<std::size_t, std::size_t>> where;
    for (std::size_t k = 0; k < inputs.size(); ++k) {
        const std::vector<double> g = leaves[k].grad().to_vector();
        for (std::size_t e = 0; e < inputs[k].values.size(); ++e) {
            analytic.push_back(g[e]);
            where.emplace_back(k, e);
        }
    }
    tape.clear();

    const auto moved = [&](std::size_t i, double offset) {
        tape.clear();
        NoGrad off;
        std::vector<Tensor> at;
        for (std::size_t k = 0; k < inputs.size(); ++k) {
            std::vector<double> v = inputs[k].values;
            if (k == where[i].first) v[where[i].second] += offset;
            at.push_back(Tensor::from(v, inputs[k].shape, DType::f64));
        }
        return f(at).item();
    };
    const GradCheck out = compare(analytic, moved, h, stencil);
    tape.clear();
    return out;
}

}  // namespace tapegrad::testing
