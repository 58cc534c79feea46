// Scalar nn: Neuron, Layer, MLP (micrograd's API) and micrograd's two-moons demo.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>
#include <type_traits>

#include <doctest/doctest.h>

#include <tapegrad/value.hpp>

#include <tapegrad/data.hpp>
#include <tapegrad/nn.hpp>

#include "alloc_counter.hpp"
#include "check_gradients.hpp"

using tapegrad::Error;
using tapegrad::Tape;
using tapegrad::Value;
namespace nn = tapegrad::nn;

namespace {
// Which node a handle names (two handles to one parameter name the same node).
const tapegrad::detail::Node* node_of(const Value& v) { return tapegrad::detail::ValueAccess::node(v); }
}  // namespace

TEST_CASE("Neuron: relu(w . x + b) with the gradients worked by hand") {
    Tape::current().clear();
    nn::Generator gen(7);
    nn::Neuron n(3, true, gen);
    const std::vector<double> w = {0.5, -0.25, 2.0};
    for (std::size_t i = 0; i < 3; ++i) Value(n.weights()[i]).set_data(w[i]);
    Value(n.bias()).set_data(0.1);
    std::vector<Value> x = {Value(1.0), Value(2.0), Value(0.5)};
    Value y = n(x);  // 0.5 - 0.5 + 1.0 + 0.1 = 1.1 > 0: relu passes it
    CHECK(y.data() == doctest::Approx(1.1).epsilon(1e-15));
    y.backward();
    // d y / d w_i = x_i, d y / d b = 1, d y / d x_i = w_i
    CHECK(n.weights()[0].grad() == 1.0);
    CHECK(n.weights()[1].grad() == 2.0);
    CHECK(n.weights()[2].grad() == 0.5);
    CHECK(n.bias().grad() == 1.0);
    CHECK(x[1].grad() == -0.25);
    n.zero_grad();
    for (const Value& p : n.parameters()) CHECK(p.grad() == 0.0);

    SUBCASE("below zero the relu blocks the gradient; a linear neuron does not") {
        Value(n.bias()).set_data(-5.0);
        Tape::current().clear();
        std::vector<Value> x2 = {Value(1.0), Value(2.0), Value(0.5)};
        Value z = n(x2);
        CHECK(z.data() == 0.0);
        z.backward();
        CHECK(n.weights()[0].grad() == 0.0);
        nn::Neuron lin(3, false, gen);
        Value u = lin(x2);
        u.backward();
        CHECK(lin.weights()[0].grad() == 1.0);
        CHECK(lin.bias().grad() == 1.0);
    }
    SUBCASE("a wrong number of inputs names both counts") {
        std::vector<Value> two = {Value(1.0), Value(2.0)};
        CHECK_THROWS_WITH_AS(n(two), "Neuron: expected 3 inputs, got 2", Error);
    }
    Tape::current().clear();
}

TEST_CASE("MLP: structure, parameter order, initial range, seeding") {
    nn::Generator gen(42);
    nn::MLP m(2, {16, 16, 1}, gen);
    CHECK(m.sizes() == std::vector<std::size_t>{2, 16, 16, 1});
    CHECK(nn::describe(m) == "MLP(2, [16, 16, 1])");
    // (2+1)*16 + (16+1)*16 + (16+1)*1, as micrograd's demo prints: 337
    const std::vector<Value> p = m.parameters();
    CHECK(p.size() == 337);
    // layer by layer, neuron by neuron, weights then bias
    CHECK(node_of(p[0]) == node_of(m.layers()[0].neurons()[0].weights()[0]));
    CHECK(node_of(p[2]) == node_of(m.layers()[0].neurons()[0].bias()));
    CHECK(node_of(p[3]) == node_of(m.layers()[0].neurons()[1].weights()[0]));
    CHECK(node_of(p[48]) == node_of(m.layers()[1].neurons()[0].weights()[0]));
    CHECK(node_of(p[336]) == node_of(m.layers()[2].neurons()[0].bias()));
    CHECK(m.layers()[0].neurons()[0].nonlin());
    CHECK(m.layers()[1].neurons()[0].nonlin());
    CHECK_FALSE(m.layers()[2].neurons()[0].nonlin());
    double lo = 1.0, hi = -1.0, mean = 0.0;
    for (const Value& v : p) CHECK(v.is_parameter());
    std::size_t n_w = 0;
    for (const auto& layer : m.layers())
        for (const auto& neuron : layer.neurons()) {
            CHECK(neuron.bias().data() == 0.0);
            for (const Value& w : neuron.weights()) {
                lo = std::min(lo, w.data());
                hi = std::max(hi, w.data());
                mean += w.data();
                ++n_w;
            }
        }
    CHECK(lo > -1.0);
    CHECK(hi < 1.0);
    CHECK(lo < -0.9);  // 320 uniform draws reach both ends
    CHECK(hi > 0.9);
    CHECK(std::fabs(mean / static_cast<double>(n_w)) < 0.1);  // sd of the mean: 0.58 / sqrt(320) = 0.032

    nn::Generator a(5), b(5), c(6);
    nn::MLP ma(3, {4, 2}, a), mb(3, {4, 2}, b), mc(3, {4, 2}, c);
    CHECK(ma.parameters()[0].data() == mb.parameters()[0].data());
    CHECK(ma.parameters()[0].data() != mc.parameters()[0].data());
    nn::manual_seed(99);
    nn::MLP d1(3, {4, 2});
    nn::manual_seed(99);
    nn::MLP d2(3, {4, 2});
    CHECK(d1.parameters()[5].data() == d2.parameters()[5].data());
}

TEST_CASE("MLP: parameters survive Tape::clear and gradients match finite differences") {
    Tape& tape = Tape::current();
    tape.clear();
    nn::Generator gen(3);
    nn::MLP m(3, {5, 4, 2}, gen);
    const std::vector<Value> params = m.parameters();
    tape.clear();
    tape.clear();
    for (const Value& p : params) CHECK(p.valid());
    // The gradient with respect to the inputs, checked against central differences.
    tapegrad::test::check_gradients(
        [&](const std::vector<Value>& x) {
            std::vector<Value> out = m(x);
            return out[0] * out[0] + out[1].tanh();
        },
        {0.3, -0.7, 1.1});
    // ... and with respect to one weight, by nudging it.
    Value w = m.layers()[0].neurons()[2].weights()[1];
    const auto loss_at = [&](double wv) {
        w.set_data(wv);
        tape.clear();
        std::vector<Value> out = m({Value(0.3), Value(-0.7), Value(1.1)});
        return out[0] * out[0] + out[1].tanh();
    };
    const double w0 = w.data(), h = 1e-6;
    m.zero_grad();
    loss_at(w0).backward();
    const double analytic = w.grad();
    const double numeric = tapegrad::testing::central_difference([&](double d) { return loss_at(w0 + d).data(); }, h,
                                                                 tapegrad::testing::Stencil::two_point);
    w.set_data(w0);
    CHECK(analytic == doctest::Approx(numeric).epsilon(1e-6));
    tape.clear();
}

TEST_CASE("MLP: move-only, clone is a deep copy, moved-from modules release nothing twice") {
    static_assert(!std::is_copy_constructible_v<nn::MLP>);
    static_assert(!std::is_copy_constructible_v<nn::Layer>);
    static_assert(!std::is_copy_constructible_v<nn::Neuron>);
    static_assert(std::is_nothrow_move_constructible_v<nn::MLP>);
    nn::Generator gen(11);
    nn::MLP a(2, {3, 1}, gen);
    nn::MLP b = a.clone();
    const std::vector<Value> pa = a.parameters(), pb = b.parameters();
    REQUIRE(pa.size() == pb.size());
    for (std::size_t i = 0; i < pa.size(); ++i) {
        CHECK(pa[i].data() == pb[i].data());
        CHECK(node_of(pa[i]) != node_of(pb[i]));
    }
    Value(pb[0]).set_data(123.0);
    CHECK(pa[0].data() != 123.0);
    nn::MLP c = std::move(a);
    CHECK(node_of(c.parameters()[0]) == node_of(pa[0]));
    c = std::move(b);
    CHECK(c.parameters()[0].data() == 123.0);
    std::vector<nn::MLP> many;
    for (int i = 0; i < 20; ++i) many.emplace_back(2, std::vector<std::size_t>{2, 1}, gen);  // reallocation moves them
    CHECK(many.back().parameters().size() == 9);
}

TEST_CASE("MLP::forward reads the parameters of its own neurons, after clone, move and load_state") {
    tapegrad::Tape& tape = tapegrad::Tape::current();
    nn::Generator gen(5);
    nn::MLP a(2, {4, 3, 1}, gen);
    const std::vector<Value> x{Value(0.7), Value(-0.4)};
    nn::MLP::Workspace ws;
    // forward reads a run of the layer's handles, operator() each neuron's own: they agree bitwise.
    const auto agree = [&](const nn::MLP& m) {
        const double through_forward = m.forward(x, ws)[0].data();
        CHECK(through_forward == m(x)[0].data());
        return through_forward;
    };
    const double ya = agree(a);
    nn::MLP b = a.clone();
    Value(b.parameters()[3]).set_data(2.5);  // a first-layer weight of the clone only
    const double yb = agree(b);
    CHECK(agree(a) == ya);
    nn::MLP c = std::move(b);
    CHECK(agree(c) == yb);
    c = std::move(a);
    CHECK(agree(c) == ya);
    nn::MLP d(2, {4, 3, 1}, gen);
    d.load_state(c.state());
    CHECK(agree(d) == ya);
    std::vector<Value> out(4);
    const nn::Layer& first = d.layers()[0];
    first.forward(x, out);
    const std::vector<Value> by_neuron = first(x);
    for (std::size_t j = 0; j < out.size(); ++j) CHECK(out[j].data() == by_neuron[j].data());
    tape.clear();
}

TEST_CASE("MLP: bad sizes are errors naming the sizes") {
    CHECK_THROWS_WITH_AS(nn::MLP(2, std::vector<std::size_t>{}), "MLP: needs at least one layer size, got none (nin 2)",
                         Error);
    CHECK_THROWS_WITH_AS(nn::MLP(0, {3}), "Neuron: nin must be at least 1, got 0", Error);
    CHECK_THROWS_WITH_AS(nn::MLP(2, {3, 0}), "Layer: nout must be at least 1, got 0 (nin 3)", Error);
    nn::MLP m(2, {3, 1});
    Tape::current().clear();
    CHECK_THROWS_WITH_AS(m({Value(1.0)}), "MLP: expected 2 inputs, got 1", Error);
    Tape::current().clear();
}

// micrograd's demo.ipynb: MLP(2, [16, 16, 1]) on 100 two-moons points (noise 0.1), hinge loss
// plus 1e-4 L2, plain SGD with the learning rate falling from 1.0 to 0.1 over 100 steps.
TEST_CASE("micrograd's demo: two moons reach 100% training accuracy") {
    Tape& tape = Tape::current();
    tape.clear();
    const tapegrad::data::Dataset d = tapegrad::data::make_moons(100, 0.1, 1);
    nn::Generator gen(1337);
    nn::MLP model(2, {16, 16, 1}, gen);
    const std::vector<Value> params = model.parameters();
    tapegrad::optim::SGD opt(params, 1.0);
    double acc = 0.0, loss = 0.0;
    const auto start = std::chrono::steady_clock::now();
    for (int k = 0; k < 100; ++k) {
        std::vector<Value> losses;
        int correct = 0;
        for (std::size_t i = 0; i < d.size(); ++i) {
            const double yi = d.y[i] == 1 ? 1.0 : -1.0;
            const Value score = model({Value(d.row(i)[0]), Value(d.row(i)[1])})[0];
            losses.push_back((1.0 - yi * score).relu());
            correct += (yi > 0) == (score.data() > 0);
        }
        const Value data_loss = tapegrad::sum(losses) * (1.0 / static_cast<double>(losses.size()));
        const Value reg_loss = 1e-4 * tapegrad::dot(params, params);
        const Value total = data_loss + reg_loss;
        acc = correct / static_cast<double>(d.size());
        loss = total.data();
        opt.zero_grad();
        total.backward();
        opt.set_lr(1.0 - 0.9 * k / 100.0);
        opt.step();
        tape.clear();
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    MESSAGE("two moons: accuracy " << acc * 100 << "%, loss " << loss << ", " << seconds * 10 << " ms per epoch");
    CHECK(acc == 1.0);
    CHECK(loss < 0.05);
}

TEST_CASE("MLP forward into a workspace: the same scores and grads as operator(), no allocation once warm") {
    tapegrad::Tape& tape = tapegrad::Tape::current();
    nn::Generator gen(7);
    nn::MLP model(2, {8, 8, 1}, gen);
    std::vector<Value> params = model.parameters();
    const auto loss_grads = [&](bool workspace, nn::MLP::Workspace& ws, std::vector<Value>& x) {
        std::vector<Value> scores;
        for (int i = 0; i < 5; ++i) {
            x[0] = Value(0.3 * i - 0.5);
            x[1] = Value(0.2 * i + 0.1);
            scores.push_back(workspace ? model.forward(x, ws)[0] : model(x)[0]);
        }
        Value loss = tapegrad::sum(scores).pow(2.0);
        loss.backward();
        std::vector<double> g{loss.data()};
        for (Value& p : params) g.push_back(p.grad());
        model.zero_grad();
        tape.clear();
        return g;
    };
    nn::MLP::Workspace ws;
    std::vector<Value> x(2);
    const std::vector<double> expected = loss_grads(false, ws, x);
    const std::vector<double> got = loss_grads(true, ws, x);
    REQUIRE(got.size() == expected.size());
    for (std::size_t k = 0; k < got.size(); ++k) CHECK(got[k] == expected[k]);

    // Warm: the forward passes themselves take nothing from the heap.
    x[0] = Value(0.1);
    x[1] = Value(0.2);
    (void)model.forward(x, ws);
    const std::size_t before = tapegrad::testing::allocation_count();
    double s = 0;
    for (int i = 0; i < 20; ++i) {
        x[0] = Value(0.01 * i);
        s += model.forward(x, ws)[0].data();
    }
    CHECK(tapegrad::testing::allocation_count() == before);
    CHECK(std::isfinite(s));
    tape.clear();

    std::vector<Value> three(3, Value(1.0));
    CHECK_THROWS_WITH_AS((void)model.forward(three, ws), "MLP: expected 2 inputs, got 3", Error);
    std::vector<Value> out(3);
    CHECK_THROWS_WITH_AS(model.layers()[0].forward(x, out), "Layer: the output span has 3 handles for 8 neurons",
                         Error);
    tape.clear();
}
