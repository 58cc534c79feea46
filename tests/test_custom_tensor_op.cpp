// Custom tensor ops (tapegrad::apply<F>): gradients against finite differences, ops of two inputs
// that undo their own broadcasting, gradients of the wrong shape or dtype, NoGrad, anomaly mode.
#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <vector>

#include <tapegrad/tapegrad.hpp>

using tapegrad::DType;
using tapegrad::Error;
using tapegrad::Tape;
using tapegrad::Tensor;
using tapegrad::TensorOpContext;

namespace {

// y = x sigmoid(x), dy/dx = s (1 + x (1 - s)) with s = sigmoid(x).
struct Swish {
    static constexpr const char* name = "swish";
    static Tensor forward(TensorOpContext& ctx, const Tensor& x) {
        ctx.save(x);
        return x * x.sigmoid();
    }
    static Tensor backward(TensorOpContext& ctx, const Tensor& grad) {
        const Tensor& x = ctx.saved(0);
        const Tensor s = x.sigmoid();
        return grad * s * (1.0 + x * (1.0 - s));
    }
};

// a * b with b broadcast along a's rows; the op sums b's gradient back to b's shape.
struct RowScale {
    static constexpr const char* name = "row_scale";
    static Tensor forward(TensorOpContext& ctx, const Tensor& a, const Tensor& b) {
        ctx.save(a, b);
        return a * b;
    }
    static std::array<Tensor, 2> backward(TensorOpContext& ctx, const Tensor& grad) {
        const Tensor& a = ctx.saved(0);
        const Tensor& b = ctx.saved(1);
        return {grad * b, (grad * a).sum(0)};
    }
};

// The same op forgetting to undo the broadcast: b's gradient keeps a's shape.
struct RowScaleUnreduced {
    static constexpr const char* name = "row_scale_unreduced";
    static Tensor forward(TensorOpContext& ctx, const Tensor& a, const Tensor& b) {
        ctx.save(a, b);
        return a * b;
    }
    static std::array<Tensor, 2> backward(TensorOpContext& ctx, const Tensor& grad) {
        return {grad * ctx.saved(1), grad * ctx.saved(0)};
    }
};

// A gradient in float32 for a float64 input.
struct WrongType {
    static constexpr const char* name = "wrong_type";
    static Tensor forward(TensorOpContext&, const Tensor& x) { return x * 2.0; }
    static Tensor backward(TensorOpContext&, const Tensor& grad) { return (grad * 2.0).to(DType::f32); }
};

// sqrt through the op's own backward, 1 / (2 sqrt(x)): infinite at 0.
struct MySqrt {
    static constexpr const char* name = "my_sqrt";
    static Tensor forward(TensorOpContext& ctx, const Tensor& x) {
        Tensor y = x.sqrt();
        ctx.save(y);
        return y;
    }
    static Tensor backward(TensorOpContext& ctx, const Tensor& grad) { return grad * 0.5 / ctx.saved(0); }
};

// An op whose backward gives its second input no gradient.
struct FirstTimesSecond {
    static constexpr const char* name = "first_times_second";
    static Tensor forward(TensorOpContext& ctx, const Tensor& a, const Tensor& b) {
        ctx.save(b);
        return a * b;
    }
    static std::array<Tensor, 2> backward(TensorOpContext& ctx, const Tensor& grad) {
        return {grad * ctx.saved(0), Tensor()};
    }
};

// A forward that reads a tensor it never saved.
struct AsksTooMuch {
    static constexpr const char* name = "asks_too_much";
    static Tensor forward(TensorOpContext& ctx, const Tensor& t) { return t * ctx.saved(0); }
    static Tensor backward(TensorOpContext&, const Tensor& grad) { return grad; }
};

double swish(double x) { return x / (1.0 + std::exp(-x)); }

}  // namespace

TEST_CASE("custom tensor op: swish's gradient matches central differences in float64") {
    Tape& tape = Tape::current();
    tape.clear();
    const std::vector<double> xs = {-2.5, -0.7, 0.0, 0.3, 1.1, 3.2};
    const std::vector<double> ws = {0.5, -1.0, 2.0, 1.5, -0.25, 0.75};
    Tensor x = Tensor::from(xs, {2, 3}, DType::f64, true);
    const Tensor w = Tensor::from(ws, {2, 3}, DType::f64);

    const std::size_t entries = tape.entry_count();
    Tensor y = tapegrad::apply<Swish>(x);
    CHECK(tape.entry_count() == entries + 1);  // one entry; the forward's own ops record nothing
    CHECK(y.requires_grad());
    CHECK_FALSE(y.is_leaf());
    const std::vector<double> values = y.to_vector();
    for (std::size_t i = 0; i < xs.size(); ++i) CHECK(values[i] == doctest::Approx(swish(xs[i])).epsilon(1e-15));

    (y * w).sum().backward();
    const std::vector<double> analytic = x.grad().to_vector();
    // d sum_j w_j swish(x_j) / d x_i by central differences on plain doubles.
    const double h = 1e-6;
    for (std::size_t i = 0; i < xs.size(); ++i) {
        const double numeric = ws[i] * (swish(xs[i] + h) - swish(xs[i] - h)) / (2 * h);
        CHECK(analytic[i] == doctest::Approx(numeric).epsilon(1e-8));
    }

    SUBCASE("a second backward over the same tape adds the same gradient again") {
        Tensor loss = (y * w).sum();
        x.zero_grad();
        loss.backward();
        loss.backward();
        const std::vector<double> twice = x.grad().to_vector();
        for (std::size_t i = 0; i < xs.size(); ++i) CHECK(twice[i] == doctest::Approx(2 * analytic[i]).epsilon(1e-14));
    }
    tape.clear();
}

TEST_CASE("custom tensor op: two inputs, with the broadcasting undone by the op") {
    Tape& tape = Tape::current();
    tape.clear();
    Tensor a = Tensor::from({1.0, -2.0, 3.0, 0.5, 4.0, -1.5}, {2, 3}, DType::f64, true);
    Tensor b = Tensor::from({2.0, -1.0, 0.25}, {3}, DType::f64, true);
    const Tensor w = Tensor::from({1.0, 2.0, 3.0, -1.0, 0.5, 2.0}, {2, 3}, DType::f64);

    (tapegrad::apply<RowScale>(a, b) * w).sum().backward();
    const std::vector<double> ga = a.grad().to_vector(), gb = b.grad().to_vector();
    // The same gradients from the library's own broadcasting multiply.
    Tensor a2 = Tensor::from(a, true), b2 = Tensor::from(b, true);
    (a2 * b2 * w).sum().backward();
    CHECK(ga == a2.grad().to_vector());
    CHECK(gb == b2.grad().to_vector());
    CHECK(b.grad().shape() == std::vector<std::int64_t>{3});

    SUBCASE("an input that does not require grad gets none, whatever backward returns") {
        Tensor c = Tensor::from({1.0, 2.0, 3.0}, {3}, DType::f64);
        Tensor d = Tensor::from({1.0, 1.0, 1.0, 2.0, 2.0, 2.0}, {2, 3}, DType::f64, true);
        tapegrad::apply<RowScale>(d, c).sum().backward();
        CHECK(d.grad().to_vector() == std::vector<double>{1, 2, 3, 1, 2, 3});
        CHECK_THROWS_AS(c.grad(), Error);
    }
    SUBCASE("an undefined gradient leaves its input's grad as it was") {
        Tensor e = Tensor::from({1.0, 2.0}, {2}, DType::f64, true);
        Tensor f = Tensor::from({3.0, 4.0}, {2}, DType::f64, true);
        tapegrad::apply<FirstTimesSecond>(e, f).sum().backward();
        CHECK(e.grad().to_vector() == std::vector<double>{3, 4});
        CHECK(f.grad().to_vector() == std::vector<double>{0, 0});
    }
    tape.clear();
}

TEST_CASE("custom tensor op: a gradient of the wrong shape or dtype is an Error naming the op and both shapes") {
    Tape& tape = Tape::current();
    tape.clear();
    Tensor a = Tensor::from({1.0, 2.0, 3.0, 4.0, 5.0, 6.0}, {2, 3}, DType::f64, true);
    Tensor b = Tensor::from({1.0, 2.0, 3.0}, {3}, DType::f64, true);
    Tensor loss = tapegrad::apply<RowScaleUnreduced>(a, b).sum();
    CHECK_THROWS_WITH_AS(
        loss.backward(),
        "row_scale_unreduced: backward returned a gradient of shape [2, 3] for input 1, whose shape is [3]", Error);
    // Nothing was added: the gradients are checked before any is.
    CHECK(a.grad().to_vector() == std::vector<double>(6, 0.0));

    Tensor x = Tensor::from({1.0, 2.0}, {2}, DType::f64, true);
    Tensor z = tapegrad::apply<WrongType>(x).sum();
    CHECK_THROWS_WITH_AS(z.backward(),
                         "wrong_type: backward returned a float32 gradient for input 0, which is float64 (shape [2])",
                         Error);

    CHECK_THROWS_WITH_AS(tapegrad::apply<AsksTooMuch>(x),
                         "asks_too_much: saved(0) asks for a tensor the forward did not save (it saved 0)", Error);
    tape.clear();
}

TEST_CASE("custom tensor op: under NoGrad nothing is recorded") {
    Tape& tape = Tape::current();
    tape.clear();
    Tensor x = Tensor::from({-1.0, 0.5, 2.0}, {3}, DType::f64, true);
    const std::size_t entries = tape.entry_count();
    Tensor y;
    {
        tapegrad::NoGrad off;
        y = tapegrad::apply<Swish>(x);
    }
    CHECK(tape.entry_count() == entries);
    CHECK_FALSE(y.requires_grad());
    CHECK(y.to_vector()[2] == doctest::Approx(swish(2.0)).epsilon(1e-15));
    // Inputs that do not require grad record nothing either.
    Tensor c = Tensor::from({1.0, 2.0}, {2}, DType::f64);
    CHECK_FALSE(tapegrad::apply<Swish>(c).requires_grad());
    CHECK(tape.entry_count() == entries);
    tape.clear();
}

TEST_CASE("custom tensor op: anomaly mode names the op") {
    Tape& tape = Tape::current();
    tape.clear();
    Tensor x = Tensor::from({0.0, 1.0}, {2}, DType::f64, true);
    Tensor y = tapegrad::apply<MySqrt>(x);  // entry 0
    Tensor loss = (y * 3.0).sum();          // entries 1 and 2
    {
        tapegrad::DetectAnomaly guard;
        CHECK_THROWS_WITH_AS(loss.backward(),
                             doctest::Contains("anomaly: backward of 'my_sqrt' (tensor op 0 on the tape) produced inf"),
                             Error);
    }
    Tensor n = Tensor::from({-1.0}, {1}, DType::f64, true);
    {
        tapegrad::DetectAnomaly guard;
        CHECK_THROWS_WITH_AS(tapegrad::apply<MySqrt>(n),
                             doctest::Contains("anomaly: forward of 'my_sqrt' (tensor op 3 on the tape) produced nan"),
                             Error);
    }
    tape.clear();
}
