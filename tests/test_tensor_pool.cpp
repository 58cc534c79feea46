// Tensor buffers come from the tape's size-class pools: a warm training step allocates nothing on
// the heap; and the thread count changes no elementwise result.
#include <doctest/doctest.h>

#include <cstring>
#include <vector>

#include <tapegrad/detail/tensor_pool.hpp>
#include <tapegrad/tapegrad.hpp>

#include "alloc_counter.hpp"

using tapegrad::DType;
using tapegrad::Tape;
using tapegrad::Tensor;

TEST_CASE("tensor pool: a warm training step takes no memory from the heap") {
    Tape& tape = Tape::current();
    tape.clear();
    tapegrad::Generator gen(3);
    Tensor x = Tensor::randn({32, 20}, gen);
    Tensor w1 = Tensor::randn({20, 16}, gen, DType::f32, true), b1 = Tensor::zeros({16}, DType::f32, true);
    Tensor w2 = Tensor::randn({16, 4}, gen, DType::f32, true), b2 = Tensor::zeros({4}, DType::f32, true);
    std::vector<std::int64_t> labels(32);
    for (std::size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<std::int64_t>(i % 4);
    Tensor* params[] = {&w1, &b1, &w2, &b2};
    double loss = 0;
    const auto step = [&] {
        Tensor h = (x.matmul(w1) + b1).relu();
        Tensor logits = h.matmul(w2) + b2;
        Tensor l = tapegrad::nn::cross_entropy(logits, labels) + logits.softmax(1).max() * 0.0 +
                   h.transpose(0, 1).sum(1).mean() * 1e-3;
        l.backward();
        loss = l.item();
        {
            tapegrad::NoGrad off;
            for (Tensor* p : params) {
                p->add_(p->grad(), -0.1);
                p->zero_grad();
            }
        }
        tape.clear();
    };
    step();
    step();  // warm: pools, arena and entry list have what a step needs
    const double first = loss;
    const std::size_t heap_before = tapegrad::testing::allocation_count();
    const std::uint64_t pool_before = tape.buffer_pools().heap_allocations();
    for (int i = 0; i < 5; ++i) step();
    CHECK(tapegrad::testing::allocation_count() == heap_before);
    CHECK(tape.buffer_pools().heap_allocations() == pool_before);
    CHECK(tape.buffer_pools().buffers_in_use() == 0);  // clear() gave every buffer back
    CHECK(loss < first);                               // and it learns
    tape.release_memory();
    CHECK(tape.buffer_pools().bytes_held() == 0);
}

TEST_CASE("tensor threads: elementwise results do not depend on the thread count") {
    Tape& tape = Tape::current();
    tape.clear();
    tapegrad::Generator gen(5);
    Tensor a = Tensor::randn({300, 1000}, gen, DType::f32, true), b = Tensor::randn({300, 1000}, gen, DType::f32, true);
    const int saved = tapegrad::num_threads();
    const auto run = [&](int threads) {
        tapegrad::set_num_threads(threads);
        tape.clear();
        a.zero_grad();
        Tensor y = ((a * b).tanh() + a.sigmoid() / (b.abs() + 1.0)).exp();
        (y.sum() + y.matmul(b.transpose(0, 1)).mean()).backward();
        std::vector<double> out = y.to_vector(), ga = a.grad().to_vector();
        out.insert(out.end(), ga.begin(), ga.end());
        return out;
    };
    const std::vector<double> one = run(1), two = run(2), three = run(3);
    tapegrad::set_num_threads(saved);
    CHECK(std::memcmp(one.data(), two.data(), 300 * 1000 * sizeof(double)) == 0);
    CHECK(std::memcmp(one.data(), three.data(), 300 * 1000 * sizeof(double)) == 0);
    // the grads go through matmul, whose BLAS may sum in another order: close, not identical
    for (std::size_t i = 300 * 1000; i < one.size(); i += 997) CHECK(two[i] == doctest::Approx(one[i]).epsilon(1e-4));
    CHECK_THROWS_AS(tapegrad::set_num_threads(0), tapegrad::Error);
    tape.clear();
}
