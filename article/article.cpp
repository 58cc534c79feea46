// The article's network on the scalar engine, and the table that compares figure by figure.
#include "article.hpp"

#include <cmath>

#include <fmt/format.h>

#include <tapegrad/tapegrad.hpp>

namespace tapegrad::article {

namespace {
constexpr double kX1 = 0.35, kX2 = 0.7, kTarget = 0.5, kLearningRate = 1.0;

// The article prints figures rounded to a few places: a figure agrees when it is ours rounded.
Figure compare(std::string name, std::string printed, double ours, std::string why_not = "") {
    const int places = static_cast<int>(printed.size() - printed.find('.') - 1);
    const double scale = std::pow(10.0, places);
    const bool agrees = std::round(ours * scale) / scale == std::stod(printed);
    std::string verdict = agrees ? "agrees" : "differs";
    if (!agrees && !why_not.empty()) verdict += ": " + why_not;
    return Figure{std::move(name), std::move(printed), ours, std::move(verdict)};
}
}  // namespace

Result run() {
    Result r{};
    Tape tape;  // a tape of its own, so the demo leaves the caller's tape alone
    Value x1(tape, kX1), x2(tape, kX2);
    Value w11(tape, 0.2), w21(tape, 0.2), w12(tape, 0.3), w22(tape, 0.3);  // w_ij: input i -> hidden j
    Value v1(tape, 0.3), v2(tape, 0.9);                                    // hidden -> output
    Value a1 = w11 * x1 + w21 * x2, a2 = w12 * x1 + w22 * x2;
    Value y3 = a1.sigmoid(), y4 = a2.sigmoid();
    Value a3 = v1 * y3 + v2 * y4;
    Value y5 = a3.sigmoid();
    Value loss = 0.5 * (y5 - kTarget).pow(2);
    loss.backward();

    r.a1 = a1.data();
    r.a2 = a2.data();
    r.y3 = y3.data();
    r.y4 = y4.data();
    r.a3 = a3.data();
    r.y5 = y5.data();
    r.loss = loss.data();
    r.squared_error = (y5.data() - kTarget) * (y5.data() - kTarget);
    r.delta_o = -a3.grad();
    r.delta_h1 = -a1.grad();
    r.delta_h2 = -a2.grad();
    r.grad_w11 = w11.grad();
    r.grad_w21 = w21.grad();
    r.grad_w12 = w12.grad();
    r.grad_w22 = w22.grad();
    r.grad_v1 = v1.grad();
    r.grad_v2 = v2.grad();
    r.dot = to_dot(loss);

    r.new_w11 = w11.data() - kLearningRate * r.grad_w11;
    r.new_w21 = w21.data() - kLearningRate * r.grad_w21;
    r.new_w12 = w12.data() - kLearningRate * r.grad_w12;
    r.new_w22 = w22.data() - kLearningRate * r.grad_w22;
    r.new_v1 = v1.data() - kLearningRate * r.grad_v1;
    r.new_v2 = v2.data() - kLearningRate * r.grad_v2;
    tape.clear();
    Value h1 = (Value(tape, r.new_w11) * kX1 + Value(tape, r.new_w21) * kX2).sigmoid();
    Value h2 = (Value(tape, r.new_w12) * kX1 + Value(tape, r.new_w22) * kX2).sigmoid();
    r.y5_after = (Value(tape, r.new_v1) * h1 + Value(tape, r.new_v2) * h2).sigmoid().data();

    r.figures = {
        compare("a1", "0.21", r.a1),
        compare("y3 = sigmoid(a1)", "0.56", r.y3, "sigmoid(0.21) = 0.5523 rounds to 0.55; the figure even says 0.57"),
        compare("a2", "0.315", r.a2),
        compare("y4 = sigmoid(a2)", "0.59", r.y4, "sigmoid(0.315) = 0.5781 rounds to 0.58"),
        compare("a3", "0.702", r.a3, "0.702 comes from the figure's rounded 0.57 and 0.59; exactly 0.6860"),
        compare("y5 = sigmoid(a3)", "0.67", r.y5),
        compare("error y5 - target", "0.17", r.y5 - kTarget),
        compare("delta_O = (t - y5) y5 (1 - y5)", "-0.0376", r.delta_o,
                "-0.0376 follows only from the rounded y5 = 0.67; exactly -0.0368"),
        compare("w1,1 change", "0.000945", -kLearningRate * r.grad_w11,
                "gradient descent lowers w1,1 by 0.000955 (the output is too high, so the weight must fall); "
                "the article's sign is wrong"),
        compare("w1,1 after the update", "0.200945", r.new_w11, "0.2 - 0.000955 = 0.199045"),
        compare("y5 after one update", "0.61", r.y5_after,
                "one step at learning rate 1 gives 0.6596; 0.61 is not one step"),
    };
    return r;
}

std::string report(const Result& r) {
    std::string out;
    out +=
        "The article's network: x = (0.35, 0.7), hidden weights (0.2, 0.2) and (0.3, 0.3), output weights\n"
        "(0.3, 0.9), sigmoid everywhere, no biases, target 0.5, loss 1/2 (y5 - t)^2, learning rate 1.\n\n";
    out += "Forward pass\n";
    out += fmt::format("  a1 = {:.6f}   y3 = sigmoid(a1) = {:.6f}\n", r.a1, r.y3);
    out += fmt::format("  a2 = {:.6f}   y4 = sigmoid(a2) = {:.6f}\n", r.a2, r.y4);
    out += fmt::format("  a3 = {:.6f}   y5 = sigmoid(a3) = {:.6f}\n", r.a3, r.y5);
    out +=
        fmt::format("  loss 1/2 (y5 - t)^2 = {:.6f}   squared error (y5 - t)^2 = {:.6f}\n\n", r.loss, r.squared_error);
    out += "Deltas (the article's sign: -dloss/d pre-activation)\n";
    out += fmt::format("  delta_O  = {:+.6f}\n  delta_h1 = {:+.6f}\n  delta_h2 = {:+.6f}\n\n", r.delta_o, r.delta_h1,
                       r.delta_h2);
    out += "Gradients dloss/dw and the weights after one step\n";
    const auto row = [&](const char* name, double old, double grad, double now) {
        out += fmt::format("  {:<5} {:.6f}  grad {:+.9f}  ->  {:.9f}\n", name, old, grad, now);
    };
    row("w1,1", 0.2, r.grad_w11, r.new_w11);
    row("w2,1", 0.2, r.grad_w21, r.new_w21);
    row("w1,2", 0.3, r.grad_w12, r.new_w12);
    row("w2,2", 0.3, r.grad_w22, r.new_w22);
    row("v1", 0.3, r.grad_v1, r.new_v1);
    row("v2", 0.9, r.grad_v2, r.new_v2);
    out += fmt::format("  y5 with the new weights = {:.6f}\n\n", r.y5_after);
    out += fmt::format("{:<32} {:>10} {:>12}  {}\n", "figure", "article", "tapegrad", "verdict");
    for (const Figure& f : r.figures)
        out += fmt::format("{:<32} {:>10} {:>12.6f}  {}\n", f.name, f.article, f.tapegrad, f.verdict);
    return out;
}

}  // namespace tapegrad::article
