// T1 and T2 on libtorch, with the same inputs as bench_tensor.cpp (tensor_workloads.hpp), so that
// bench/run.sh can set tapegrad's figures beside PyTorch's C++ API.
#include <vector>

#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <tapegrad/blas.hpp>

#include "alloc_counter.hpp"
#include "bench_common.hpp"
#include "tensor_workloads.hpp"

// Debian's libtorch does its BLAS work in OpenBLAS, whose thread count torch::set_num_threads
// does not reach: both are set, so that "1 thread" means one thread for libtorch as for tapegrad.
extern "C" void openblas_set_num_threads(int);

namespace tapegrad::bench {
namespace {

void set_threads(int n) {
    torch::set_num_threads(n);
    openblas_set_num_threads(n);
}

torch::Tensor from(const std::vector<float>& v, std::vector<std::int64_t> shape, bool requires_grad) {
    return torch::tensor(v, torch::kFloat32).reshape(shape).clone().set_requires_grad(requires_grad);
}

void T1_small_ops(benchmark::State& state) {
    set_threads(1);
    torch::Tensor w = from(fixed_uniform(16, 1.0f, 1), {4, 4}, true);
    torch::Tensor b = from(fixed_uniform(16, 0.1f, 2), {4, 4}, true);
    const torch::Tensor y0 = from(fixed_uniform(16, 1.0f, 3), {4, 4}, false);
    const int steps = quick() ? 10 : kT1Steps;
    const auto run = [&] {
        torch::Tensor y = y0;
        for (int i = 0; i < steps; ++i) y = torch::tanh(y * w + b);
        y.sum().backward();
        const double g = w.grad().sum().item<double>();
        w.mutable_grad().zero_();
        b.mutable_grad().zero_();
        return g;
    };
    measure_t1(state, steps, run);
}

void T2_mlp_step(benchmark::State& state) {
    set_threads(static_cast<int>(state.range(0)));
    std::vector<torch::Tensor> params;
    for (int l = 0; l < 3; ++l) {
        params.push_back(from(t2_weights(l), {kT2Sizes[l], kT2Sizes[l + 1]}, true));
        params.push_back(from(t2_bias(l), {kT2Sizes[l + 1]}, true));
    }
    const torch::Tensor x = from(t2_inputs(), {kT2Batch, 784}, false);
    const std::vector<std::int64_t> lv = t2_labels();
    const torch::Tensor labels = torch::tensor(lv, torch::kInt64);
    const auto step = [&] {
        torch::Tensor h = x;
        for (int l = 0; l < 3; ++l) {
            h = torch::matmul(h, params[2 * l]) + params[2 * l + 1];
            if (l < 2) h = torch::relu(h);
        }
        torch::Tensor loss = torch::nn::functional::cross_entropy(h, labels);
        loss.backward();
        const double out = loss.item<double>();
        {
            torch::NoGradGuard guard;
            for (torch::Tensor& p : params) {
                p.add_(p.grad(), -kT2Lr);
                p.mutable_grad().zero_();
            }
        }
        return out;
    };
    measure_t2(state, step);
}

}  // namespace

void register_benchmarks() {
    // libtorch's GEMMs run in the same OpenBLAS: give it the kernels tapegrad chose, so the
    // comparison is with libtorch at its best.
    const BlasInfo b = blas_info();
    benchmark::AddCustomContext("tapegrad_gemm", "OpenBLAS " + b.kernel + " kernels, " + b.choice);
    register_t1_t2(T1_small_ops, T2_mlp_step);
}

}  // namespace tapegrad::bench
