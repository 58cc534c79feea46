// A tensor op of your own (docs/EXTENDING.md): swish, y = x sigmoid(x), with its forward and its
// backward written with tensor ops, trained as the activation of a one-layer model. Exits 1 if
// the op's gradient disagrees with central differences.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <vector>

#include <tapegrad/tapegrad.hpp>

using tapegrad::DType;
using tapegrad::Tensor;
using tapegrad::TensorOpContext;

struct Swish {
    static constexpr const char* name = "swish";  // errors and anomaly mode name the op by it

    // Runs with nothing recorded; keeps what backward needs.
    static Tensor forward(TensorOpContext& ctx, const Tensor& x) {
        ctx.save(x);
        return x * x.sigmoid();
    }

    // d loss/dx = d loss/dy * dy/dx, with dy/dx = s (1 + x (1 - s)) and s = sigmoid(x).
    static Tensor backward(TensorOpContext& ctx, const Tensor& grad) {
        const Tensor& x = ctx.saved(0);
        const Tensor s = x.sigmoid();
        return grad * s * (1.0 + x * (1.0 - s));
    }
};

int main() {
    tapegrad::Tape& tape = tapegrad::Tape::current();

    // 1. The gradient against central differences of a plain function.
    const std::vector<double> xs = {-3.0, -0.5, 0.0, 0.5, 3.0};
    Tensor x = Tensor::from(xs, {5}, DType::f64, true);
    tapegrad::apply<Swish>(x).sum().backward();
    const std::vector<double> grad = x.grad().to_vector();
    const auto swish = [](double v) { return v / (1.0 + std::exp(-v)); };
    double worst = 0.0;
    for (std::size_t i = 0; i < xs.size(); ++i) {
        const double numeric = (swish(xs[i] + 1e-6) - swish(xs[i] - 1e-6)) / 2e-6;
        worst = std::fmax(worst, std::fabs(grad[i] - numeric));
    }
    std::printf("swish: largest gradient error against central differences %.1e\n", worst);
    tape.clear();

    // 2. As an activation: fit y = swish(w x) to samples of swish(2 x), from w = 0.5.
    std::vector<double> samples, wanted;
    for (double v = -2.0; v < 2.0; v += 0.25) {
        samples.push_back(v);
        wanted.push_back(swish(2.0 * v));
    }
    const auto n = static_cast<std::int64_t>(samples.size());
    const Tensor inputs = Tensor::from(samples, {n}, DType::f64);
    const Tensor targets = Tensor::from(wanted, {n}, DType::f64);
    Tensor w = Tensor::from({0.5}, {1}, DType::f64, true);
    double loss_value = 0.0;
    for (int step = 0; step < 200; ++step) {
        Tensor loss = tapegrad::nn::mse_loss(tapegrad::apply<Swish>(inputs * w), targets);
        loss.backward();
        loss_value = loss.item();
        {
            tapegrad::NoGrad no_grad;
            w.add_(w.grad(), -0.5);
        }
        w.zero_grad();
        tape.clear();
    }
    std::printf("swish: w = %.4f after 200 steps (expected 2), loss %.2e\n", w.item(), loss_value);

    const bool ok = worst < 1e-8 && std::fabs(w.item() - 2.0) < 1e-3;
    std::printf("%s\n", ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
