// Optimizers on scalar parameters: single steps worked by hand, then convergence.
#include <cmath>

#include <doctest/doctest.h>

#include <tapegrad/nn.hpp>

using tapegrad::Error;
using tapegrad::Tape;
using tapegrad::Value;
namespace optim = tapegrad::optim;

namespace {
// Parameters that free themselves.
struct Params {
    std::vector<Value> p;
    explicit Params(std::vector<double> init) {
        for (double x : init) p.push_back(Value::parameter(x));
    }
    ~Params() {
        for (Value& v : p) Value::release_parameter(v);
    }
};
}  // namespace

TEST_CASE("SGD: p -= lr * (g + weight_decay * p), momentum buffers as torch.optim.SGD") {
    Params ps({1.0, -2.0});
    std::vector<Value>& p = ps.p;
    SUBCASE("plain") {
        optim::SGD opt(p, 0.1);
        p[0].set_grad(2.0);
        p[1].set_grad(-4.0);
        opt.step();
        CHECK(p[0].data() == doctest::Approx(0.8).epsilon(1e-15));
        CHECK(p[1].data() == doctest::Approx(-1.6).epsilon(1e-15));
        opt.zero_grad();
        CHECK(p[0].grad() == 0.0);
        CHECK(p[1].grad() == 0.0);
        CHECK(opt.steps() == 1);
        CHECK(opt.numel() == 2);
    }
    SUBCASE("weight decay: g = 2 + 0.5 * 1 = 2.5, p = 1 - 0.1 * 2.5") {
        optim::SGD opt(p, 0.1, 0.0, 0.5);
        p[0].set_grad(2.0);
        opt.step();
        CHECK(p[0].data() == doctest::Approx(0.75).epsilon(1e-15));
    }
    SUBCASE("momentum 0.9: buf = 2 then 0.9 * 2 + 2 = 3.8") {
        optim::SGD opt(p, 0.1, 0.9);
        p[0].set_grad(2.0);
        opt.step();
        CHECK(p[0].data() == doctest::Approx(0.8).epsilon(1e-15));
        opt.step();  // same grad again
        CHECK(p[0].data() == doctest::Approx(0.8 - 0.38).epsilon(1e-15));
    }
    SUBCASE("bad options and non-parameters are errors naming the value") {
        CHECK_THROWS_WITH_AS(optim::SGD(p, -1.0), "SGD: lr = -1, must be finite and >= 0", Error);
        CHECK_THROWS_WITH_AS(optim::SGD(p, 0.1, -0.5), "SGD: momentum = -0.5, must be finite and >= 0", Error);
        Tape::current().clear();
        std::vector<Value> mixed = {p[0], Value(3.0)};
        CHECK_THROWS_WITH_AS(optim::SGD(mixed, 0.1),
                             "SGD: element 1 of 2 is not a parameter (make it with Value::parameter so that it "
                             "survives Tape::clear())",
                             Error);
        optim::SGD opt(p, 0.1);
        CHECK_THROWS_WITH_AS(opt.set_lr(NAN), "set_lr: lr = nan, must be finite and >= 0", Error);
        CHECK_THROWS_WITH_AS(optim::Adam(p, 0.1, 1.0), "Adam: beta1 = 1, must be in [0, 1)", Error);
    }
}

TEST_CASE("Adam and AdamW: the first steps worked by hand") {
    Params ps({1.0});
    Value& p = ps.p[0];
    const double eps = 1e-8;
    SUBCASE("Adam: the first step moves by lr * g / (|g| + eps); the second by the bias-corrected moments") {
        optim::Adam opt(ps.p, 0.1);
        p.set_grad(2.0);
        opt.step();
        const double p1 = 1.0 - 0.1 * 2.0 / (2.0 + eps);
        CHECK(p.data() == doctest::Approx(p1).epsilon(1e-15));
        p.set_grad(-1.0);
        opt.step();
        // m = 0.9 * 0.2 + 0.1 * (-1) = 0.08, v = 0.999 * 0.004 + 0.001 * 1 = 0.004996
        // m^ = 0.08 / (1 - 0.81), v^ = 0.004996 / (1 - 0.998001)
        const double mhat = 0.08 / 0.19, vhat = 0.004996 / 0.001999;
        CHECK(p.data() == doctest::Approx(p1 - 0.1 * mhat / (std::sqrt(vhat) + eps)).epsilon(1e-13));
    }
    SUBCASE("Adam's weight decay is L2 on the grad: g = 2 + 0.5 * 1, the step is still lr") {
        optim::Adam opt(ps.p, 0.1, 0.9, 0.999, eps, 0.5);
        p.set_grad(2.0);
        opt.step();
        CHECK(p.data() == doctest::Approx(1.0 - 0.1 * 2.5 / (2.5 + eps)).epsilon(1e-15));
    }
    SUBCASE("AdamW decays the weight itself: p = 1 * (1 - 0.1 * 0.5) - 0.1") {
        optim::AdamW opt(ps.p, 0.1, 0.9, 0.999, eps, 0.5);
        p.set_grad(2.0);
        opt.step();
        CHECK(p.data() == doctest::Approx(0.95 - 0.1 * 2.0 / (2.0 + eps)).epsilon(1e-15));
    }
}

TEST_CASE("optimizers minimise (a - 3)^2 + (b + 1)^2 through the tape") {
    Params ps({0.0, 0.0});
    std::vector<Value>& p = ps.p;
    const auto run = [&](optim::Optimizer& opt, int steps) {
        for (int i = 0; i < steps; ++i) {
            Tape::current().clear();
            const Value loss = (p[0] - 3.0).pow(2.0) + (p[1] + 1.0).pow(2.0);
            opt.zero_grad();
            loss.backward();
            opt.step();
        }
        Tape::current().clear();
    };
    SUBCASE("SGD with momentum") {
        optim::SGD opt(p, 0.05, 0.9);
        run(opt, 300);
    }
    SUBCASE("Adam") {
        optim::Adam opt(p, 0.1);
        run(opt, 1000);
    }
    SUBCASE("AdamW with no decay") {
        optim::AdamW opt(p, 0.1, 0.9, 0.999, 1e-8, 0.0);
        run(opt, 1000);
    }
    CHECK(p[0].data() == doctest::Approx(3.0).epsilon(1e-3));
    CHECK(p[1].data() == doctest::Approx(-1.0).epsilon(1e-3));
}
