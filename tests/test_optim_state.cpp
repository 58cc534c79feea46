// Optimizer::state / load_state: a run resumed from a checkpoint reaches an uninterrupted run's
// parameters, bit for bit.
#include <doctest/doctest.h>

#include <memory>
#include <vector>

#include <tapegrad/tapegrad.hpp>

using tapegrad::DType;
using tapegrad::Tape;
using tapegrad::Tensor;
namespace optim = tapegrad::optim;

namespace {
// Steps of loss = sum((w * x - 1)^2) on w with opt; returns w.
std::vector<double> train(Tensor w, optim::Optimizer& opt, int steps) {
    const Tensor x = Tensor::from(std::vector<double>{0.5, -1.0, 2.0}, {3}, DType::f64);
    for (int s = 0; s < steps; ++s) {
        opt.zero_grad();
        ((w * x - 1.0).pow(2)).sum().backward();
        opt.step();
        Tape::current().clear();
    }
    return w.to_vector();
}
Tensor start() { return Tensor::from(std::vector<double>{1.0, 2.0, -0.5}, {3}, DType::f64, true); }

template <class Opt> void check_resume() {
    Tensor a = start();
    Opt whole({a}, 0.05);
    const std::vector<double> uninterrupted = train(a, whole, 6);
    Tensor b = start();
    tapegrad::Checkpoint saved;
    {
        Opt first({b}, 0.05);
        train(b, first, 3);
        saved = tapegrad::from_bytes(tapegrad::to_bytes(first.state()));  // through the file format
    }
    Opt resumed({b}, 0.05);
    resumed.load_state(saved);
    CHECK(resumed.steps() == 3);
    CHECK(train(b, resumed, 3) == uninterrupted);
}

struct Momentum : optim::SGD {
    Momentum(const std::vector<Tensor>& p, double lr) : optim::SGD(p, lr, 0.9) {}
};
}  // namespace

TEST_CASE("an optimizer resumed from its state reaches the uninterrupted run bit for bit") {
    check_resume<Momentum>();
    check_resume<optim::Adam>();
    check_resume<optim::AdamW>();
    Tensor w = start();
    optim::Adam adam({w}, 0.1);
    train(w, adam, 1);
    const tapegrad::Checkpoint state = adam.state();
    REQUIRE(state.size() == 3);
    CHECK(state[0].name == "optimizer.steps");
    CHECK(state[0].values == std::vector<double>{1.0});
    CHECK(state[1].name == "adam.m");
    CHECK(state[2].name == "adam.v");
}

TEST_CASE("load_state refuses another optimizer's or another size's state") {
    Tensor w = start();
    optim::Adam adam({w}, 0.1);
    train(w, adam, 2);
    optim::SGD sgd({w}, 0.1, 0.9);
    CHECK_THROWS_WITH_AS(sgd.load_state(adam.state()),
                         "load_state: the checkpoint holds 'adam.m', which this optimizer does not use",
                         tapegrad::Error);
    CHECK(sgd.steps() == 0);
    Tensor big = Tensor::zeros({4}, DType::f64, true);
    optim::Adam other({big}, 0.1);
    CHECK_THROWS_WITH_AS(other.load_state(adam.state()),
                         "load_state: 'adam.m' holds 3 values, the optimizer has 4 parameters", tapegrad::Error);
    CHECK_THROWS_WITH_AS(other.load_state({}),
                         "load_state: no optimizer step count (array 'optimizer.steps') in the checkpoint",
                         tapegrad::Error);
}
