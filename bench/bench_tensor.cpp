// T1, T2, T3 on tapegrad tensors, and T3's baseline: the BLAS called directly. The tensor
// workloads build only when tapegrad/tensor.hpp exists; the BLAS baseline always does.
#include <cstdio>
#include <vector>

#include <benchmark/benchmark.h>
#include <cblas.h>

#include "alloc_counter.hpp"
#include "bench_common.hpp"
#include "tensor_workloads.hpp"

#if __has_include(<tapegrad/tensor.hpp>)
#include <tapegrad/tapegrad.hpp>
#include <tapegrad/tensor.hpp>
#include <tapegrad/threads.hpp>
#define TAPEGRAD_BENCH_TENSORS 1
#endif

namespace tapegrad::bench {
namespace {

#ifdef TAPEGRAD_BENCH_TENSORS
// ---- T1: 1000 steps of y = tanh(y*w + b) on 4x4 float32 tensors, sum, backward

void T1_small_ops(benchmark::State& state) {
    set_num_threads(1);
    const std::vector<float> w0 = fixed_uniform(16, 1.0f, 1), b0 = fixed_uniform(16, 0.1f, 2),
                             y0 = fixed_uniform(16, 1.0f, 3);
    const Shape shape{4, 4};
    Tensor w = Tensor::from(std::span<const float>(w0), shape, DType::f32, true);
    Tensor b = Tensor::from(std::span<const float>(b0), shape, DType::f32, true);
    const int steps = quick() ? 10 : kT1Steps;
    const auto run = [&] {
        Tape::current().clear();
        Tensor y = Tensor::from(std::span<const float>(y0), shape, DType::f32, false);
        for (int i = 0; i < steps; ++i) y = (y * w + b).tanh();
        y.sum().backward();
        const double g = w.grad().sum().item();
        w.zero_grad();
        b.zero_grad();
        return g;
    };
    measure_t1(state, steps, run);
    Tape::current().clear();
}

// ---- T2: one SGD step of a 784-256-128-10 ReLU MLP, batch 128, cross-entropy

void T2_mlp_step(benchmark::State& state) {
    const int threads = static_cast<int>(state.range(0));
    set_num_threads(threads);
    std::vector<Tensor> params;
    for (int l = 0; l < 3; ++l) {
        const std::vector<float> w = t2_weights(l), b = t2_bias(l);
        params.push_back(Tensor::from(std::span<const float>(w), Shape{kT2Sizes[l], kT2Sizes[l + 1]}, DType::f32, true));
        params.push_back(Tensor::from(std::span<const float>(b), Shape{kT2Sizes[l + 1]}, DType::f32, true));
    }
    const std::vector<float> xv = t2_inputs();
    const Tensor x = Tensor::from(std::span<const float>(xv), Shape{kT2Batch, 784}, DType::f32, false);
    const std::vector<std::int64_t> labels = t2_labels();
    const auto step = [&] {
        Tensor h = x;
        for (int l = 0; l < 3; ++l) {
            h = h.matmul(params[2 * l]) + params[2 * l + 1];
            if (l < 2) h = h.relu();
        }
        Tensor loss = nn::cross_entropy(h, labels);
        loss.backward();
        const double out = loss.item();
        {
            NoGrad guard;
            for (Tensor& p : params) {
                p.add_(p.grad(), -kT2Lr);
                p.zero_grad();
            }
        }
        Tape::current().clear();
        return out;
    };
    measure_t2(state, step);
    set_num_threads(1);
}
#endif

// ---- T3: C = A B, tapegrad's matmul against the BLAS called directly, in alternation

struct GemmShape { int m, k, n; };
constexpr GemmShape kT3Shapes[] = {{512, 512, 512}, {128, 784, 256}, {128, 256, 128}, {128, 128, 10}};

template <class T>
void blas_gemm(int m, int n, int k, const T* a, const T* b, T* c) {
    if constexpr (sizeof(T) == 4)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, a, k, b, n, 0.0f, c, n);
    else
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0, a, k, b, n, 0.0, c, n);
}

template <class T>
void T3_gemm(benchmark::State& state) {
    const GemmShape s = kT3Shapes[state.range(0)];
    const int threads = static_cast<int>(state.range(1));
    openblas_set_num_threads(threads);
    const std::vector<float> af = fixed_uniform(static_cast<std::size_t>(s.m) * s.k, 1.0f, 11),
                             bf = fixed_uniform(static_cast<std::size_t>(s.k) * s.n, 1.0f, 12);
    const std::vector<T> a(af.begin(), af.end()), b(bf.begin(), bf.end());
    std::vector<T> c(static_cast<std::size_t>(s.m) * s.n);
    const double flops = 2.0 * s.m * s.n * s.k;
    // Enough calls per timing that a small GEMM is not lost in the clock's resolution.
    const int calls = quick() ? 1 : std::max(1, static_cast<int>(2e8 / flops));
#ifdef TAPEGRAD_BENCH_TENSORS
    set_num_threads(threads);
    const DType dtype = sizeof(T) == 4 ? DType::f32 : DType::f64;
    const Tensor ta = Tensor::from(std::span<const float>(af), Shape{s.m, s.k}, dtype, false);
    const Tensor tb = Tensor::from(std::span<const float>(bf), Shape{s.k, s.n}, dtype, false);
#endif
    for (auto _ : state) {
        std::vector<double> blas_s, ours_s;
        for (int rep = 0; rep < (quick() ? 1 : 7); ++rep) {
            auto t = Clock::now();
            for (int i = 0; i < calls; ++i) blas_gemm<T>(s.m, s.n, s.k, a.data(), b.data(), c.data());
            blas_s.push_back(seconds_since(t) / calls);
#ifdef TAPEGRAD_BENCH_TENSORS
            t = Clock::now();
            for (int i = 0; i < calls; ++i) {
                Tensor r = ta.matmul(tb);
                benchmark::DoNotOptimize(r);
                Tape::current().clear();
            }
            ours_s.push_back(seconds_since(t) / calls);
#endif
        }
        const double blas = median(blas_s);
        state.SetIterationTime(blas);
        state.counters["blas_gflops"] = flops / blas * 1e-9;
        if (!ours_s.empty()) {
            const double ours = median(ours_s);
            state.counters["gflops"] = flops / ours * 1e-9;
            state.counters["ratio_to_blas"] = blas / ours;  // our GFLOP/s / the BLAS's
        }
    }
    openblas_set_num_threads(1);
}

// ---- T2 floor: the GEMMs of one T2 step alone, as tapegrad hands them to the BLAS

// Layer l maps kT2Sizes[l] -> kT2Sizes[l+1] with weights stored [in, out]. Forward: H = X W.
// Backward: dW = X^T dH (A transposed in place), and for layers 2 and 3 dX = dH W^T.
void T2_floor(benchmark::State& state) {
    openblas_set_num_threads(static_cast<int>(state.range(0)));
    const int batch = kT2Batch;
    std::vector<std::vector<float>> acts, grads, weights, wgrads;
    for (int l = 0; l < 4; ++l) {
        acts.push_back(fixed_uniform(static_cast<std::size_t>(batch) * kT2Sizes[l], 1.0f, 300 + l));
        grads.push_back(fixed_uniform(static_cast<std::size_t>(batch) * kT2Sizes[l], 1.0f, 400 + l));
    }
    for (int l = 0; l < 3; ++l) {
        weights.push_back(t2_weights(l));
        wgrads.emplace_back(weights.back().size());
    }
    const auto step = [&] {
        for (int l = 0; l < 3; ++l) {
            const int in = kT2Sizes[l], out = kT2Sizes[l + 1];
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, batch, out, in, 1.0f, acts[l].data(), in,
                        weights[l].data(), out, 0.0f, acts[l + 1].data(), out);
        }
        for (int l = 2; l >= 0; --l) {
            const int in = kT2Sizes[l], out = kT2Sizes[l + 1];
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, in, out, batch, 1.0f, acts[l].data(), in,
                        grads[l + 1].data(), out, 0.0f, wgrads[l].data(), out);
            if (l > 0)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, batch, in, out, 1.0f, grads[l + 1].data(), out,
                            weights[l].data(), out, 0.0f, grads[l].data(), in);
        }
    };
    for (auto _ : state) {
        std::vector<double> times;
        for (int s = 0; s < (quick() ? 1 : kT2Warmup); ++s) step();
        for (int s = 0; s < (quick() ? 1 : kT2Steps); ++s) {
            const auto t = Clock::now();
            step();
            times.push_back(seconds_since(t));
        }
        state.SetIterationTime(median(times));
        state.counters["floor_ms"] = median(times) * 1e3;
    }
    openblas_set_num_threads(1);
}

}  // namespace

void register_tensor_benchmarks() {
#ifdef TAPEGRAD_BENCH_TENSORS
    register_t1_t2(T1_small_ops, T2_mlp_step);
#endif
    for (auto* b : {benchmark::RegisterBenchmark("T3_gemm_f32", T3_gemm<float>),
                    benchmark::RegisterBenchmark("T3_gemm_f64", T3_gemm<double>)}) {
        b->ArgNames({"shape", "threads"})->Iterations(1)->UseManualTime()->Unit(benchmark::kMicrosecond);
        for (int shape = 0; shape < 4; ++shape)
            for (int threads : {1, 2}) b->Args({shape, threads});
    }
    benchmark::RegisterBenchmark("T2_floor", T2_floor)
        ->ArgNames({"threads"})->Arg(1)->Arg(2)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
}

}  // namespace tapegrad::bench
