// A physics-informed network, the example of derivatives of derivatives on tensors: a small MLP
// u(x) is trained so that u'' + u = 0 on [0, pi] with u(0) = 0 and u'(0) = 1, whose solution is
// sin(x). u' and u'' come from tapegrad::grad with create_graph, so the loss, which contains them,
// is differentiated by one backward() like any other.
//
// Prints the loss as it falls and the largest |u(x) - sin(x)| on a grid; exits non-zero if the
// network did not learn the solution.
#include <cmath>
#include <cstdio>
#include <vector>

#include <tapegrad/tapegrad.hpp>

using tapegrad::DType;
using tapegrad::Tensor;

namespace {

constexpr std::int64_t kHidden = 16, kPoints = 24;
constexpr double kPi = 3.14159265358979323846;

struct Net {
    std::vector<Tensor> params;

    Net() {
        tapegrad::Generator g(3);
        params = {Tensor::from(Tensor::randn({1, kHidden}, g, DType::f64), true),
                  Tensor::from(Tensor::randn({kHidden}, g, DType::f64), true),
                  Tensor::from(Tensor::randn({kHidden, 1}, g, DType::f64) * 0.3, true),
                  Tensor::zeros({1}, DType::f64, true)};
    }
    Tensor operator()(const Tensor& x) const {
        return (x.matmul(params[0]) + params[1]).tanh().matmul(params[2]) + params[3];
    }
};

// d sum(y) / d x, recorded so that it can be differentiated again.
Tensor derivative(const Tensor& y, const Tensor& x) { return tapegrad::grad(y.sum(), {x}, {.create_graph = true})[0]; }

}  // namespace

int main() {
    Net u;
    std::vector<double> grid;
    for (std::int64_t i = 0; i < kPoints; ++i) grid.push_back(kPi * static_cast<double>(i) / (kPoints - 1));
    tapegrad::optim::Adam adam(u.params, 0.01);
    double first = 0.0, last = 0.0;
    for (int step = 0; step <= 3000; ++step) {
        const Tensor x = Tensor::from(grid, {kPoints, 1}, DType::f64, true);
        const Tensor x0 = Tensor::zeros({1, 1}, DType::f64, true);
        const Tensor y = u(x), y0 = u(x0);
        const Tensor residual = derivative(derivative(y, x), x) + y;  // u'' + u
        const Tensor slope0 = derivative(y0, x0) - 1.0;               // u'(0) - 1
        const Tensor loss = (residual * residual).mean() + (y0 * y0).sum() + (slope0 * slope0).sum();
        loss.backward();
        adam.step();
        adam.zero_grad();
        last = loss.item();
        if (step == 0) first = last;
        if (step % 500 == 0) std::printf("step %4d  loss %.3e\n", step, last);
        tapegrad::Tape::current().clear();
    }
    double worst = 0.0;
    {
        const tapegrad::NoGrad off;
        const std::vector<double> got = u(Tensor::from(grid, {kPoints, 1}, DType::f64)).to_vector();
        for (std::size_t i = 0; i < grid.size(); ++i) worst = std::max(worst, std::fabs(got[i] - std::sin(grid[i])));
    }
    tapegrad::Tape::current().clear();
    std::printf("largest |u(x) - sin(x)| on the grid: %.3e\n", worst);
    return last < first * 1e-2 && worst < 0.05 ? 0 : 1;
}
