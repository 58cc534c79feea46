// Every tensor op's gradient against central differences in float64, including broadcasting
// corners (size-1 dims, 0-d tensors, zero-size dims), non-contiguous inputs and reuse.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

#include <tapegrad/tapegrad.hpp>

#include "gradcheck.hpp"

using tapegrad::DType;
using tapegrad::Shape;
using tapegrad::Tape;
using tapegrad::Tensor;

namespace {

using Fn = std::function<Tensor(const std::vector<Tensor>&)>;

double& worst_tensor_error() {
    static double worst = 0.0;
    return worst;
}

using Input = tapegrad::testing::TensorInput;

// Values in (lo, hi), fixed by a seed, distinct enough that max has no ties.
Input input(const Shape& shape, std::uint64_t seed, double lo = -1.5, double hi = 1.5) {
    tapegrad::Generator g(seed);
    Input in{shape, {}};
    for (std::int64_t i = 0; i < shape.numel(); ++i) in.values.push_back(lo + (hi - lo) * g.uniform());
    return in;
}

// The scalar checked: f's output, or sum(f * w) with fixed weights w for a non-scalar output,
// so that every output element's gradient counts.
Tensor scalar_of(const Tensor& y) {
    if (y.numel() == 1) return y.reshape({});
    std::vector<double> w;
    tapegrad::Generator g(99);
    for (std::int64_t i = 0; i < y.numel(); ++i) w.push_back(0.5 + g.uniform());
    return (y * Tensor::from(w, Shape(y.sizes()), DType::f64)).sum();
}

// Largest |analytic - numeric| / max(1, |numeric|) over every input element, by two-point
// central differences.
double gradcheck(const Fn& f, const std::vector<Input>& inputs, double h = 1e-6) {
    const auto scalar = [&](const std::vector<Tensor>& leaves) { return scalar_of(f(leaves)); };
    return tapegrad::testing::gradcheck(scalar, inputs, h, tapegrad::testing::Stencil::two_point).error;
}

constexpr double kTolerance = 1e-7;

void check(const Fn& f, const std::vector<Input>& inputs) {
    const double err = gradcheck(f, inputs);
    worst_tensor_error() = std::max(worst_tensor_error(), err);
    CHECK(err < kTolerance);
}

}  // namespace

TEST_CASE("tensor gradcheck: unary ops") {
    const Input x = input({3, 4}, 1);
    const Input pos = input({3, 4}, 2, 0.2, 2.0);
    check([](auto& v) { return v[0].relu(); }, {x});
    check([](auto& v) { return v[0].tanh(); }, {x});
    check([](auto& v) { return v[0].sigmoid(); }, {x});
    check([](auto& v) { return v[0].exp(); }, {x});
    check([](auto& v) { return v[0].log(); }, {pos});
    check([](auto& v) { return v[0].sqrt(); }, {pos});
    check([](auto& v) { return v[0].abs(); }, {x});
    check([](auto& v) { return v[0].pow(3.0); }, {x});
    check([](auto& v) { return v[0].pow(-1.5); }, {pos});
    check([](auto& v) { return -v[0]; }, {x});
    check([](auto& v) { return 2.0 - v[0] * 3.0 + 1.0; }, {x});
    check([](auto& v) { return 2.0 / v[0] + v[0] / 4.0 - 0.5; }, {pos});
}

TEST_CASE("tensor gradcheck: binary ops with broadcasting") {
    const Input a = input({2, 3}, 3), b = input({2, 3}, 4, 0.5, 2.0);
    for (const Fn& f : std::vector<Fn>{[](auto& v) { return v[0] + v[1]; }, [](auto& v) { return v[0] - v[1]; },
                                       [](auto& v) { return v[0] * v[1]; }, [](auto& v) { return v[0] / v[1]; }}) {
        check(f, {a, b});
        check(f, {a, input({3}, 5, 0.5, 2.0)});                       // row broadcast
        check(f, {a, input({2, 1}, 6, 0.5, 2.0)});                    // column broadcast (size-1 dim)
        check(f, {input({2, 1, 3}, 7), input({4, 1}, 8, 0.5, 2.0)});  // both stretch
        check(f, {a, input({}, 9, 0.5, 2.0)});                        // 0-d
        check(f, {input({}, 10), b});                                 // 0-d on the left
        check(f, {input({0, 3}, 11), input({3}, 12, 0.5, 2.0)});      // a zero-size dim
    }
}

TEST_CASE("tensor gradcheck: reuse and non-contiguous inputs") {
    const Input a = input({3, 4}, 13), b = input({4, 3}, 14);
    check([](auto& v) { return v[0] * v[0] + v[0].tanh() * v[0]; }, {a});
    check([](auto& v) { return v[0].transpose(0, 1) * v[1]; }, {a, b});
    check([](auto& v) { return v[0].transpose(0, 1).tanh().exp(); }, {a});
    check([](auto& v) { return v[0].slice(1, 0, 4, 2).sigmoid() + v[0].slice(1, 1, 4, 2); }, {a});
    check([](auto& v) { return v[0].transpose(0, 1).sum(0); }, {a});
    check([](auto& v) { return v[0].transpose(0, 1).softmax(1); }, {a});
    check([](auto& v) { return v[0].transpose(0, 1).reshape({2, 6}); }, {a});
}

TEST_CASE("tensor gradcheck: matmul") {
    check([](auto& v) { return v[0].matmul(v[1]); }, {input({2, 3}, 15), input({3, 4}, 16)});
    check([](auto& v) { return v[0].matmul(v[1]); }, {input({2, 2, 3}, 17), input({2, 3, 4}, 18)});
    check([](auto& v) { return v[0].matmul(v[1]); }, {input({2, 2, 3}, 19), input({3, 4}, 20)});     // shared B
    check([](auto& v) { return v[0].matmul(v[1]); }, {input({2, 3}, 21), input({2, 3, 4}, 22)});     // shared A
    check([](auto& v) { return v[0].matmul(v[1]); }, {input({1, 2, 3}, 23), input({3, 3, 2}, 24)});  // batch of 1
    check([](auto& v) { return v[0].transpose(0, 1).matmul(v[1].transpose(0, 1)); },
          {input({3, 2}, 25), input({4, 3}, 26)});
    check([](auto& v) { return v[0].matmul(v[1].slice(1, 0, 4, 2)); },
          {input({2, 3}, 27), input({3, 4}, 28)});                                          // copied
    check([](auto& v) { return v[0].matmul(v[1]); }, {input({3}, 29), input({3, 2}, 30)});  // 1-d
    check([](auto& v) { return v[0].matmul(v[1]); }, {input({2, 3}, 31), input({3}, 32)});
    check([](auto& v) { return v[0].matmul(v[1]); }, {input({3}, 33), input({3}, 34)});
    check([](auto& v) { return v[0].matmul(v[1]).sum() + v[0].sum(); }, {input({2, 0}, 35), input({0, 3}, 36)});
    check([](auto& v) { return v[0].matmul(v[0].transpose(0, 1)); }, {input({3, 2}, 37)});  // reuse
}

TEST_CASE("tensor gradcheck: reductions") {
    const Input a = input({2, 3, 4}, 38);
    check([](auto& v) { return v[0].sum(); }, {a});
    check([](auto& v) { return v[0].mean(); }, {a});
    check([](auto& v) { return v[0].max(); }, {a});
    for (int d : {0, 1, 2, -1}) {
        for (bool keep : {false, true}) {
            check([d, keep](auto& v) { return v[0].sum(d, keep); }, {a});
            check([d, keep](auto& v) { return v[0].mean(d, keep); }, {a});
            check([d, keep](auto& v) { return v[0].max(d, keep); }, {a});
        }
    }
    check([](auto& v) { return v[0].sum() * 2.0; }, {input({}, 39)});  // 0-d
    check([](auto& v) { return v[0].sum(0) + v[0].mean(0, true); }, {input({}, 40)});
    check([](auto& v) { return v[0].sum(1).sum() + 1.0; }, {input({0, 3}, 41)});
    check([](auto& v) { return v[0].sum(0).sum() + 1.0; }, {input({0, 3}, 42)});
}

TEST_CASE("tensor gradcheck: shape ops") {
    const Input a = input({2, 3, 4}, 43);
    check([](auto& v) { return v[0].reshape({4, -1}); }, {a});
    check([](auto& v) { return v[0].permute({2, 0, 1}); }, {a});
    check([](auto& v) { return v[0].transpose(0, 2).reshape({24}); }, {a});
    check([](auto& v) { return v[0].slice(2, 1, 4, 2); }, {a});
    check([](auto& v) { return v[0].slice(0, -1, 2); }, {a});
    check([](auto& v) { return v[0].select(1, 2) * v[0].select(1, 0); }, {a});
    check([](auto& v) { return v[0].unsqueeze(1).squeeze(1); }, {a});
    check([](auto& v) { return v[0].slice(0, 0, 1).expand({3, 3, 4}); }, {a});
    check([](auto& v) { return v[0].flatten().contiguous(); }, {a});
    check([](auto& v) { return v[0].transpose(1, 2).contiguous(); }, {a});
    check([](auto& v) { return tapegrad::cat({v[0], v[1], v[0]}, 1); }, {a, input({2, 1, 4}, 44)});
    check(
        [](auto& v) {
            return tapegrad::cat({v[0].transpose(0, 1), v[1]}, 0);
        },
        {input({2, 3}, 45), input({2, 2}, 46)});
    check([](auto& v) { return tapegrad::cat({v[0], v[1]}, 0); }, {input({0, 2}, 47), input({2, 2}, 48)});
}

TEST_CASE("tensor gradcheck: softmax and log_softmax") {
    const Input a = input({3, 4}, 49, -3, 3);
    for (int d : {0, 1, -1}) {
        check([d](auto& v) { return v[0].softmax(d); }, {a});
        check([d](auto& v) { return v[0].log_softmax(d); }, {a});
    }
    check([](auto& v) { return v[0].softmax(1); }, {input({2, 3, 2}, 50)});
    check([](auto& v) { return v[0].log_softmax(0); }, {input({5}, 51)});
    // large logits: the max shift keeps it finite
    check([](auto& v) { return (v[0] * 1.0 + 50.0).log_softmax(1); }, {a});
}

TEST_CASE("tensor gradcheck: losses") {
    check([](auto& v) { return tapegrad::nn::mse_loss(v[0], v[1]); }, {input({3, 2}, 52), input({3, 2}, 53)});
    check([](auto& v) { return tapegrad::nn::binary_cross_entropy_with_logits(v[0], v[1]); },
          {input({4, 2}, 54, -3, 3), input({4, 2}, 55, 0, 1)});
    check(
        [](auto& v) {
            return tapegrad::nn::cross_entropy(v[0], std::vector<std::int64_t>{2, 0, 3});
        },
        {input({3, 4}, 56, -2, 2)});
    check(
        [](auto& v) {
            return tapegrad::nn::cross_entropy(v[0].transpose(0, 1), std::vector<std::int64_t>{1, 0});
        },
        {input({3, 2}, 57, -2, 2)});
    check([](auto& v) { return tapegrad::nn::cross_entropy(v[0], std::vector<std::int64_t>{1}); }, {input({3}, 58)});
}

TEST_CASE("tensor gradcheck: a small network, the snippet's shape, and mixed dtypes") {
    check(
        [](auto& v) {
            Tensor c = (v[0].matmul(v[1]) + 1.0).tanh() * v[0].sum(1, true);
            return tapegrad::nn::cross_entropy(c, std::vector<std::int64_t>{0, 3}) + c.softmax(1).max() +
                   c.transpose(0, 1).reshape({4, 2}).log_softmax(0).mean(0, true).sum();
        },
        {input({2, 3}, 59), input({3, 4}, 60)});
    check(
        [](auto& v) {
            Tensor h = (v[0].matmul(v[1]) + v[2]).relu();
            return tapegrad::nn::cross_entropy(h.matmul(v[3]), std::vector<std::int64_t>{1, 0, 1});
        },
        {input({3, 4}, 61), input({4, 5}, 62), input({5}, 63), input({5, 2}, 64)});
    // float32 operand promoted to float64: the gradient flows through the cast
    Tape::current().clear();
    Tensor a = Tensor::from(std::vector<double>{1, 2}, {2}, DType::f32, true);
    Tensor b = Tensor::from(std::vector<double>{3, 4}, {2}, DType::f64, true);
    Tensor y = (a * b).sum();
    CHECK(y.dtype() == DType::f64);
    y.backward();
    CHECK(a.grad().dtype() == DType::f32);
    CHECK(a.grad().to_vector() == std::vector<double>{3, 4});
    CHECK(b.grad().to_vector() == std::vector<double>{1, 2});
}

TEST_CASE("tensor gradcheck: largest error seen") {
    MESSAGE("largest tensor finite-difference error: " << worst_tensor_error());
    CHECK(worst_tensor_error() < kTolerance);
}
