// A program that uses the installed tapegrad as any user's would: the README's first example.
#include <cmath>
#include <cstdio>
#include <vector>

#include <tapegrad/tapegrad.hpp>

using tapegrad::Value;

int main() {
    Value a = -4.0, b = 2.0;
    Value c = a * b + b.pow(3) - a / 2.0;
    Value d = c.relu() + c.tanh() + c.sigmoid() + c.exp() + (c * c + 1).log();
    d.backward();
    // By hand: c = 2, dd/dc = 1 + (1 - tanh^2 2) + s(2)(1 - s(2)) + e^2 + 4/5, dc/da = b - 1/2.
    const double t = std::tanh(2.0), s = 1 / (1 + std::exp(-2.0));
    const double expected = (1 + (1 - t * t) + s * (1 - s) + std::exp(2.0) + 0.8) * 1.5;
    std::printf("tapegrad %s: d = %.6f, dd/da = %.6f (expected %.6f)\n", TAPEGRAD_VERSION, d.data(), a.grad(),
                expected);
    bool ok = std::fabs(a.grad() - expected) < 1e-12;

    // The tensor engine, through the BLAS: d sum(x W) / dx = the row sums of W.
    using tapegrad::Tensor;
    Tensor x = Tensor::from(std::vector<double>{1, 2, 3}, {1, 3}, tapegrad::DType::f64, true);
    Tensor w = Tensor::from(std::vector<double>{1, 2, 3, 4, 5, 6}, {3, 2}, tapegrad::DType::f64);
    x.matmul(w).sum().backward();
    const std::vector<double> gx = x.grad().to_vector();
    std::printf("tensor: d sum(x W)/dx = [%g, %g, %g] (expected [3, 7, 11])\n", gx[0], gx[1], gx[2]);
    ok = ok && gx == std::vector<double>{3, 7, 11};

    tapegrad::Tape::current().clear();  // end of the step: a, b, c, d are gone
    return ok ? 0 : 1;
}
