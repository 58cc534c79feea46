// Tensor nn: Module, Linear, activations, Sequential, tensor optimizers, checkpoints, and the
// 3-class spiral.
#include <chrono>
#include <cmath>
#include <filesystem>

#include <doctest/doctest.h>

#include "alloc_counter.hpp"

#include <tapegrad/data.hpp>
#include <tapegrad/nn.hpp>

using tapegrad::DType;
using tapegrad::Error;
using tapegrad::Tape;
using tapegrad::Tensor;
namespace nn = tapegrad::nn;
namespace optim = tapegrad::optim;

TEST_CASE("Linear: shapes, PyTorch's default init bound, y = x W^T + b by hand") {
    tapegrad::Generator gen(3);
    nn::Linear lin(4, 3, true, DType::f64, gen);
    CHECK(lin.weight().shape() == std::vector<std::int64_t>{3, 4});
    CHECK(lin.bias().shape() == std::vector<std::int64_t>{3});
    for (double w : lin.weight().to_vector()) CHECK(std::fabs(w) < 0.5);  // 1 / sqrt(4)
    for (double b : lin.bias().to_vector()) CHECK(std::fabs(b) < 0.5);
    CHECK(lin.describe() == "Linear(in=4, out=3)");
    {
        tapegrad::NoGrad no_grad;
        Tensor(lin.weight()).copy_(Tensor::from({1, 0, 0, 0, 0, 2, 0, 0, 1, 1, 1, 1}, {3, 4}, DType::f64));
        Tensor(lin.bias()).copy_(Tensor::from({0.5, -1, 0}, {3}, DType::f64));
    }
    Tape::current().clear();
    const Tensor x = Tensor::from({1, 2, 3, 4, -1, -2, -3, -4}, {2, 4}, DType::f64);
    const Tensor y = lin(x);
    CHECK(y.to_vector() == std::vector<double>{1.5, 3, 10, -0.5, -5, -10});
    y.sum().backward();
    // d sum(y) / d W[o][i] = sum over the batch of x[b][i] = 0; d / d b[o] = batch size = 2
    CHECK(lin.weight().grad().to_vector() == std::vector<double>(12, 0.0));
    CHECK(lin.bias().grad().to_vector() == std::vector<double>{2, 2, 2});
    lin.zero_grad();
    CHECK(lin.bias().grad().to_vector() == std::vector<double>{0, 0, 0});
    CHECK_THROWS_WITH_AS(lin(Tensor::zeros({2, 5}, DType::f64)),
                         "Linear: expected input with last dim 4, got shape [2, 5] (Linear(in=4, out=3))", Error);
    Tape::current().clear();
}

TEST_CASE("Sequential: names, order, train/eval, activations") {
    nn::Sequential model(nn::Linear(2, 8), nn::ReLU(), nn::Linear(8, 8), nn::Tanh(), nn::Linear(8, 1), nn::Sigmoid());
    const auto named = model.named_parameters();
    REQUIRE(named.size() == 6);
    CHECK(named[0].first == "0.weight");
    CHECK(named[1].first == "0.bias");
    CHECK(named[4].first == "4.weight");
    CHECK(named[5].first == "4.bias");
    CHECK(model.parameters().size() == 6);
    CHECK(model.describe() ==
          "Sequential(Linear(in=2, out=8), ReLU(), Linear(in=8, out=8), Tanh(), Linear(in=8, out=1), Sigmoid())");
    CHECK(model.is_training());
    model.eval();
    CHECK_FALSE(model[0].is_training());
    model.train();
    CHECK(model[5].is_training());
    Tape::current().clear();
    const Tensor y = model(Tensor::from({0.5, -0.5, 1, 2, 3, 4}, {3, 2}));
    CHECK(y.shape() == std::vector<std::int64_t>{3, 1});
    for (double v : y.to_vector()) CHECK((v > 0.0 && v < 1.0));
    CHECK(nn::ReLU()(Tensor::from({-1, 2}, {2})).to_vector() == std::vector<double>{0, 2});
    Tape::current().clear();
}

TEST_CASE("tensor optimizers: a step by hand, and errors for tensors that are not parameters") {
    Tensor w = Tensor::from({1.0, -2.0}, {2}, DType::f64, true);
    optim::SGD opt({w}, 0.1, 0.9);
    Tape::current().clear();
    (w * w).sum().backward();  // grad 2w = {2, -4}
    opt.step();
    CHECK(w.to_vector()[0] == doctest::Approx(0.8).epsilon(1e-15));
    CHECK(w.to_vector()[1] == doctest::Approx(-1.6).epsilon(1e-15));
    opt.zero_grad();
    CHECK(w.grad().to_vector() == std::vector<double>{0, 0});
    Tensor f = Tensor::from({1.0}, {1}, DType::f32, true);
    optim::Adam adam({f}, 0.1);
    Tape::current().clear();
    (f * 3.0).sum().backward();
    adam.step();  // the first Adam step moves by lr
    CHECK(f.item() == doctest::Approx(0.9).epsilon(1e-6));
    CHECK_THROWS_WITH_AS(optim::SGD({Tensor::zeros({2})}, 0.1),
                         "SGD: tensor 0 of 1 is not a contiguous leaf that requires grad", Error);
    Tape::current().clear();
}

TEST_CASE("a warm tensor training step, optimizer included, makes no heap allocation") {
    nn::Sequential net(nn::Linear(4, 8), nn::ReLU(), nn::Linear(8, 3));
    optim::Adam opt(net.parameters(), 0.01);
    const Tensor x = Tensor::randn({5, 4});
    const std::vector<std::int64_t> labels{0, 1, 2, 1, 0};
    const auto train_step = [&] {
        opt.zero_grad();
        nn::cross_entropy(net(x), labels).backward();
        opt.step();
        Tape::current().clear();
    };
    train_step();
    train_step();
    const std::size_t before = tapegrad::testing::allocation_count();
    train_step();
    CHECK(tapegrad::testing::allocation_count() == before);
}

TEST_CASE("Module save and load: round trip of f32 weights, another architecture leaves the model unchanged") {
    namespace fs = std::filesystem;
    const fs::path dir = fs::temp_directory_path() / ("tapegrad_test_module_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const std::string path = (dir / "m.tg").string();
    tapegrad::Generator gen(4);
    nn::Sequential a(nn::Linear(2, 5, true, DType::f32, gen), nn::ReLU(), nn::Linear(5, 3, true, DType::f32, gen));
    nn::Sequential b(nn::Linear(2, 5, true, DType::f32, gen), nn::ReLU(), nn::Linear(5, 3, true, DType::f32, gen));
    nn::save(a, path);
    const tapegrad::Checkpoint file = tapegrad::load(path);
    CHECK(file[0].name == "0.weight");
    CHECK(file[0].type == tapegrad::StoredType::f32);
    CHECK(file[0].shape == std::vector<std::size_t>{5, 2});
    nn::load(b, path);
    for (std::size_t i = 0; i < 4; ++i) CHECK(a.parameters()[i].to_vector() == b.parameters()[i].to_vector());
    nn::Sequential c(nn::Linear(2, 4, true, DType::f32, gen), nn::ReLU(), nn::Linear(4, 3, true, DType::f32, gen));
    const std::vector<double> before = c.parameters()[0].to_vector();
    CHECK_THROWS_WITH_AS(nn::load(c, path), doctest::Contains("'0.weight' has shape [5, 2] in the file"), Error);
    CHECK(c.parameters()[0].to_vector() == before);
    nn::Sequential d(nn::Linear(2, 5, true, DType::f64, gen), nn::ReLU(), nn::Linear(5, 3, true, DType::f64, gen));
    CHECK_THROWS_WITH_AS(nn::load(d, path), doctest::Contains("'0.weight' is f32 in the file"), Error);
    fs::remove_all(dir);
}

// CS231n's spiral: 3 arms of 100 points; a 2-64-64-3 ReLU network with Adam and cross-entropy.
TEST_CASE("tensor engine: the 3-class spiral reaches at least 97% training accuracy") {
    const tapegrad::data::Dataset d = tapegrad::data::make_spiral(100, 3, 0.2, 5);
    const Tensor x = Tensor::from(d.x, {static_cast<std::int64_t>(d.size()), 2});
    std::vector<std::int64_t> labels(d.y.begin(), d.y.end());
    tapegrad::Generator gen(7);
    nn::Sequential model(nn::Linear(2, 64, true, DType::f32, gen), nn::ReLU(),
                         nn::Linear(64, 64, true, DType::f32, gen), nn::ReLU(),
                         nn::Linear(64, 3, true, DType::f32, gen));
    optim::Adam opt(model.parameters(), 0.01);
    Tape& tape = Tape::current();
    const auto start = std::chrono::steady_clock::now();
    constexpr int kEpochs = 400;
    double loss = 0.0;
    for (int epoch = 0; epoch < kEpochs; ++epoch) {
        tape.clear();
        const Tensor l = nn::cross_entropy(model(x), labels);
        opt.zero_grad();
        l.backward();
        opt.step();
        loss = l.item();
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    tape.clear();
    const std::vector<double> pred = model(x).argmax(1).to_vector();
    std::size_t right = 0;
    for (std::size_t i = 0; i < d.size(); ++i) right += static_cast<int>(pred[i]) == d.y[i];
    const double acc = static_cast<double>(right) / static_cast<double>(d.size());
    MESSAGE("spiral: accuracy " << acc * 100 << "%, loss " << loss << ", " << seconds * 1000 / kEpochs
                                << " ms per epoch");
    CHECK(acc >= 0.97);
    tape.clear();
}
