// Tensor API: the acceptance snippet, factories, lifetimes, errors, views, NoGrad, one tape.
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include <tapegrad/tapegrad.hpp>

#include "error_message.hpp"

using tapegrad::DType;
using tapegrad::Tape;
using tapegrad::Tensor;
using tapegrad::test::check_error;

TEST_CASE("tensor: the acceptance snippet compiles and runs") {
    Tape::current().clear();
    std::vector<double> values(12);
    for (std::size_t i = 0; i < values.size(); ++i) values[i] = 0.1 * static_cast<double>(i) - 0.5;
    Tensor a = Tensor::from(std::vector<double>{1, 2, 3, 4, 5, 6}, {2, 3}, DType::f64, /*requires_grad=*/true);
    Tensor b = Tensor::from(values, {3, 4});
    Tensor c = (a.matmul(b) + 1.0).tanh() * a.sum(1, /*keepdim=*/true);
    Tensor p = c.softmax(1), q = c.log_softmax(1), r = c.transpose(0, 1).reshape({4, 2});
    Tensor m = c.mean(), s = c.sum(), s0 = c.sum(0), m0 = c.mean(0, true);
    Tensor loss = tapegrad::nn::cross_entropy(c, std::vector<std::int64_t>{0, 3});
    loss.backward();
    std::vector<double> ga = a.grad().to_vector();
    double l = loss.item();
    auto shape = c.shape();
    CHECK(c.dtype() == DType::f64);  // f64 op f32 -> f64
    CHECK(shape == std::vector<std::int64_t>{2, 4});
    CHECK(r.shape() == std::vector<std::int64_t>{4, 2});
    CHECK(s0.shape() == std::vector<std::int64_t>{4});
    CHECK(m0.shape() == std::vector<std::int64_t>{1, 4});
    CHECK(m.dim() == 0);
    CHECK(s.item() == doctest::Approx(m.item() * 8).epsilon(1e-12));
    CHECK(ga.size() == 6);
    CHECK(std::isfinite(l));
    double total = 0;
    for (double v : p.to_vector()) total += v;
    CHECK(total == doctest::Approx(2.0).epsilon(1e-12));
    CHECK(q.at({1, 2}) == doctest::Approx(std::log(p.at({1, 2}))).epsilon(1e-12));
}

TEST_CASE("tensor: factories") {
    Tensor z = Tensor::zeros({2, 3});
    CHECK(z.dtype() == DType::f32);
    CHECK(z.to_vector() == std::vector<double>(6, 0.0));
    CHECK(Tensor::ones({2}, DType::f64).to_vector() == std::vector<double>{1, 1});
    CHECK(Tensor::full({3}, 2.5).to_vector() == std::vector<double>{2.5, 2.5, 2.5});
    CHECK(Tensor::arange(0, 5).to_vector() == std::vector<double>{0, 1, 2, 3, 4});
    CHECK(Tensor::arange(1, 2, 0.25, DType::f64).to_vector() == std::vector<double>{1, 1.25, 1.5, 1.75});
    tapegrad::Generator g1(42), g2(42);
    CHECK(Tensor::randn({5}, g1).to_vector() == Tensor::randn({5}, g2).to_vector());
    tapegrad::manual_seed(7);
    const auto r1 = Tensor::rand({100}, DType::f64).to_vector();
    tapegrad::manual_seed(7);
    CHECK(Tensor::rand({100}, DType::f64).to_vector() == r1);
    for (double v : r1) CHECK((v >= 0.0 && v < 1.0));
    tapegrad::Generator g(1);
    const auto n = Tensor::randn({20000}, g, DType::f64).to_vector();
    double mean = 0, var = 0;
    for (double v : n) mean += v / static_cast<double>(n.size());
    for (double v : n) var += (v - mean) * (v - mean) / static_cast<double>(n.size());
    CHECK(std::fabs(mean) < 0.03);
    CHECK(std::fabs(var - 1.0) < 0.05);
    CHECK(Tensor::from(std::vector<float>{1.5f, 2.5f}, {2}).to_vector() == std::vector<double>{1.5, 2.5});
    CHECK(Tensor::from(std::vector<double>{7}, {}).item() == 7.0);  // 0-d
    CHECK(Tensor::zeros({0, 3}).numel() == 0);
}

TEST_CASE("tensor: lifetimes across Tape::clear()") {
    Tape& tape = Tape::current();
    tape.clear();
    Tensor w = Tensor::ones({2, 2}, DType::f32, true);
    Tensor y = (w * 2.0).sum();
    y.backward();
    CHECK(w.grad().to_vector() == std::vector<double>{2, 2, 2, 2});
    tape.clear();
    CHECK(w.to_vector() == std::vector<double>{1, 1, 1, 1});         // factory tensors survive
    CHECK(w.grad().to_vector() == std::vector<double>{2, 2, 2, 2});  // and so do their grads
    CHECK_FALSE(y.valid());
    check_error([&] { (void)y.item(); }, {"item", "cleared", "generation"});
    check_error([&] { (void)(y + 1.0); }, {"add", "cleared"});
    Tensor copy = w;  // reference counted
    w = Tensor();
    CHECK(copy.to_vector() == std::vector<double>{1, 1, 1, 1});
    check_error([&] { (void)w.sum(); }, {"sum", "empty Tensor"});
}

TEST_CASE("tensor: errors name the op and the shapes") {
    Tape::current().clear();
    Tensor a = Tensor::zeros({2, 3}), b = Tensor::zeros({4, 5});
    check_error([&] { (void)a.matmul(b); }, {"matmul: inner dimensions differ: [2, 3] x [4, 5]"});
    check_error([&] { (void)(a + Tensor::zeros({4})); }, {"add", "do not broadcast", "[2, 3]", "[4]"});
    check_error([&] { (void)a.reshape({4, 2}); }, {"reshape", "[2, 3]", "[4, 2]"});
    check_error([&] { (void)a.sum(2); }, {"sum", "dim 2", "out of range"});
    check_error([&] { (void)a.softmax(-3); }, {"softmax", "dim -3"});
    check_error([&] { (void)Tensor::from(std::vector<double>{1, 2, 3}, {2, 2}); }, {"from", "3 values", "[2, 2]"});
    check_error(
        [&] {
            (void)tapegrad::nn::cross_entropy(a, std::vector<std::int64_t>{0, 3});
        },
        {"cross_entropy", "label 3", "3 classes"});
    Tensor g = Tensor::zeros({2, 3}, DType::f32, true);
    check_error([&] { (g * 2.0).backward(); }, {"backward", "one-element", "[2, 3]"});
    check_error([&] { a.sum().backward(); }, {"backward", "does not require grad"});
    check_error([&] { (void)a.transpose(0, 2); }, {"transpose", "dim 2"});
    check_error([&] { (void)a.select(1, 3); }, {"select", "index 3"});
    check_error([&] { (void)tapegrad::cat({a, b}, 0); }, {"cat", "[2, 3]", "[4, 5]"});
    check_error([&] { g.add_(a); }, {"add_", "NoGrad"});
}

TEST_CASE("tensor: views share data, copies do not") {
    Tape::current().clear();
    Tensor x = Tensor::arange(0, 6, 1, DType::f64).reshape({2, 3});
    Tensor t = x.transpose(0, 1);
    CHECK_FALSE(t.is_contiguous());
    CHECK(t.to_vector() == std::vector<double>{0, 3, 1, 4, 2, 5});
    CHECK(t.reshape({6}).to_vector() == std::vector<double>{0, 3, 1, 4, 2, 5});
    CHECK(x.slice(1, 1, 3).to_vector() == std::vector<double>{1, 2, 4, 5});
    CHECK(x.slice(1, 0, 3, 2).to_vector() == std::vector<double>{0, 2, 3, 5});
    CHECK(x.slice(1, -2, 100).to_vector() == std::vector<double>{1, 2, 4, 5});
    CHECK(x.select(0, 1).to_vector() == std::vector<double>{3, 4, 5});
    CHECK(x.select(1, -1).to_vector() == std::vector<double>{2, 5});
    CHECK(x.unsqueeze(0).shape() == std::vector<std::int64_t>{1, 2, 3});
    CHECK(x.unsqueeze(-1).shape() == std::vector<std::int64_t>{2, 3, 1});
    CHECK(x.unsqueeze(1).squeeze(1).shape() == std::vector<std::int64_t>{2, 3});
    CHECK(x.permute({1, 0}).to_vector() == t.to_vector());
    CHECK(x.slice(0, 0, 1).expand({3, 3}).to_vector() == std::vector<double>{0, 1, 2, 0, 1, 2, 0, 1, 2});
    CHECK(tapegrad::cat({x, x.slice(0, 0, 1)}, 0).to_vector() == std::vector<double>{0, 1, 2, 3, 4, 5, 0, 1, 2});
    CHECK(tapegrad::cat({x, x}, 1).shape() == std::vector<std::int64_t>{2, 6});
    CHECK(x.max().item() == 5);
    CHECK(x.max(1).to_vector() == std::vector<double>{2, 5});
    CHECK(x.argmax(0).to_vector() == std::vector<double>{1, 1, 1});
    CHECK(x.reshape({-1, 2}).shape() == std::vector<std::int64_t>{3, 2});
    Tensor d = x.detach();
    CHECK_FALSE(d.requires_grad());
}

TEST_CASE("tensor: requires_grad propagates and NoGrad stops recording") {
    Tape& tape = Tape::current();
    tape.clear();
    Tensor w = Tensor::ones({2}, DType::f32, true), c = Tensor::ones({2});
    CHECK((w * c).requires_grad());
    CHECK_FALSE((c * c).requires_grad());
    const std::size_t entries = tape.entry_count();
    {
        tapegrad::NoGrad off;
        Tensor y = w * c;
        CHECK_FALSE(y.requires_grad());
        w.add_(w.grad(), -0.5);  // an optimizer step
    }
    CHECK(tape.entry_count() == entries);
}

TEST_CASE("tensor: repeated backward accumulates in leaves and restarts interior grads") {
    Tape::current().clear();
    Tensor x = Tensor::from(std::vector<double>{0.5, -1.0}, {2}, DType::f64, true);
    Tensor h = x.tanh();
    Tensor y = (h * h).sum();
    y.backward();
    const auto g1 = x.grad().to_vector();
    y.backward();
    const auto g2 = x.grad().to_vector();
    CHECK(g2[0] == doctest::Approx(2 * g1[0]).epsilon(1e-14));
    CHECK(g2[1] == doctest::Approx(2 * g1[1]).epsilon(1e-14));
    x.zero_grad();
    h.sum().backward();  // from an interior result
    CHECK(x.grad().to_vector()[0] == doctest::Approx(1 - std::tanh(0.5) * std::tanh(0.5)).epsilon(1e-14));
}

TEST_CASE("tensor: tensor and scalar ops share one tape and one sweep") {
    Tape& tape = Tape::current();
    tape.clear();
    tapegrad::Value s = 3.0;
    tapegrad::Value s2 = s * s;  // scalar nodes before the tensor ops
    Tensor x = Tensor::from(std::vector<double>{1, 2}, {2}, DType::f64, true);
    Tensor y = (x * 2.0).sum();
    CHECK(tape.entry_count() == 2);
    y.backward();  // sweeps the entries and the scalar nodes recorded before them
    CHECK(x.grad().to_vector() == std::vector<double>{2, 2});
    CHECK(s.grad() == 0.0);
    CHECK(s2.data() == 9.0);
}

TEST_CASE("tensor: add_ reads its operand in place or through a copy, with the same result") {
    Tape::current().clear();
    Tensor w = Tensor::from({1.0, 2.0, 3.0, 4.0, 5.0, 6.0}, {2, 3}, DType::f32);
    w.add_(Tensor::from({1.0, 1.0, 1.0, 1.0, 1.0, 1.0}, {2, 3}, DType::f32), 0.5);  // in place
    CHECK(w.to_vector() == std::vector<double>{1.5, 2.5, 3.5, 4.5, 5.5, 6.5});
    w.add_(Tensor::from({10.0, 20.0, 30.0}, {3}, DType::f64), -0.1);  // converted and broadcast
    CHECK(w.to_vector()[0] == doctest::Approx(0.5).epsilon(1e-6));
    CHECK(w.to_vector()[5] == doctest::Approx(3.5).epsilon(1e-6));
    w.add_(w);  // the same tensor: each element doubles
    CHECK(w.to_vector()[0] == doctest::Approx(1.0).epsilon(1e-6));
    Tensor v = Tensor::from({1.0, 2.0, 3.0, 4.0}, {2, 2}, DType::f64);
    v.add_(v.select(0, 0));  // a row of v itself, broadcast over v: read from a copy taken first
    CHECK(v.to_vector() == std::vector<double>{2, 4, 4, 6});
    Tape::current().clear();
}
