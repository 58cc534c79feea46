// T1, T2, T3 on tapegrad tensors, and T3's baselines: the GEMM libraries called directly. The
// tensor workloads build only when tapegrad/tensor.hpp exists; the baselines always do.
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>
#include <cblas.h>

#include <tapegrad/detail/gemm.hpp>

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
        params.push_back(
            Tensor::from(std::span<const float>(w), Shape{kT2Sizes[l], kT2Sizes[l + 1]}, DType::f32, true));
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

// ---- The GEMM libraries called directly: OpenBLAS, and oneDNN's sgemm where it is installed
// (with its own OpenMP threads, as a program calling it directly would run it).

// C = op(A) op(B), row-major, on one library; false if that library cannot run it.
template <class T>
bool direct_gemm(bool onednn, int threads, bool ta, bool tb, int m, int n, int k, const T* a, int lda, const T* b,
                 int ldb, T* c, int ldc) {
    if (onednn) {
        const detail::OneDnn* d = detail::onednn();
        if constexpr (sizeof(T) == 4) {
            if (d == nullptr) return false;
            if (d->omp_set_num_threads != nullptr) d->omp_set_num_threads(threads);
            d->sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc);
            return true;
        }
        return false;  // oneDNN has no float64 GEMM
    }
    openblas_set_num_threads(threads);
    const auto opa = ta ? CblasTrans : CblasNoTrans, opb = tb ? CblasTrans : CblasNoTrans;
    if constexpr (sizeof(T) == 4) cblas_sgemm(CblasRowMajor, opa, opb, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc);
    else cblas_dgemm(CblasRowMajor, opa, opb, m, n, k, 1.0, a, lda, b, ldb, 0.0, c, ldc);
    return true;
}

// ---- T3: C = A B, tapegrad's matmul against each GEMM library called directly, in alternation;
// the ratio is to the fastest of them.

struct GemmShape {
    int m, k, n;
};
constexpr GemmShape kT3Shapes[] = {{512, 512, 512}, {128, 784, 256}, {128, 256, 128}, {128, 128, 10}};

template <class T> void T3_gemm(benchmark::State& state) {
    const GemmShape s = kT3Shapes[state.range(0)];
    const int threads = static_cast<int>(state.range(1));
    const std::vector<float> af = fixed_uniform(static_cast<std::size_t>(s.m) * s.k, 1.0f, 11),
                             bf = fixed_uniform(static_cast<std::size_t>(s.k) * s.n, 1.0f, 12);
    const std::vector<T> a(af.begin(), af.end()), b(bf.begin(), bf.end());
    std::vector<T> c(static_cast<std::size_t>(s.m) * s.n);
    const double flops = 2.0 * s.m * s.n * s.k;
    // Enough calls per timing that a small GEMM is not lost in the clock's resolution.
    const int calls = quick() ? 1 : std::max(1, static_cast<int>(2e8 / flops));
    const auto direct = [&](bool onednn) {
        return direct_gemm<T>(onednn, threads, false, false, s.m, s.n, s.k, a.data(), s.k, b.data(), s.n, c.data(),
                              s.n);
    };
    const bool has_onednn = direct(true);
#ifdef TAPEGRAD_BENCH_TENSORS
    const DType dtype = sizeof(T) == 4 ? DType::f32 : DType::f64;
    const Tensor ta = Tensor::from(std::span<const float>(af), Shape{s.m, s.k}, dtype, false);
    const Tensor tb = Tensor::from(std::span<const float>(bf), Shape{s.k, s.n}, dtype, false);
#endif
    // With several threads, each library is timed with the cores to itself, awake: the previous
    // library's idle threads still spin after its last call (OpenBLAS's for about 0.1 s, yielding;
    // OpenMP's for a few ms), and a library timed while they do runs at about one core's speed or
    // less; and after that wait the idle core takes some milliseconds to come back to speed. So
    // each library waits 200 ms, then runs untimed for 20 ms, then its seven timings in a row;
    // OpenBLAS, whose threads spin longest, goes last.
    const auto settle = [&](auto&& call) {
        if (threads == 1 || quick()) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        const auto t = Clock::now();
        while (seconds_since(t) < 0.02) call();
    };
#ifdef TAPEGRAD_BENCH_TENSORS
    const auto our_call = [&] {
        Tensor r = ta.matmul(tb);
        benchmark::DoNotOptimize(r);
        Tape::current().clear();
    };
#endif
    const int reps = quick() ? 1 : 7;
    // One library's timings: seconds per call, `reps` times.
    const auto time_reps = [&](auto&& call) {
        settle(call);
        std::vector<double> times;
        for (int rep = 0; rep < reps; ++rep) {
            const auto t = Clock::now();
            for (int i = 0; i < calls; ++i) call();
            times.push_back(seconds_since(t) / calls);
        }
        return times;
    };
    for (auto _ : state) {
        std::vector<double> blas_s, onednn_s, ours_s;
        if (threads == 1) {  // one thread: the libraries in alternation, call by call
            for (int rep = 0; rep < reps; ++rep) {
                auto t = Clock::now();
                for (int i = 0; i < calls; ++i) direct(false);
                blas_s.push_back(seconds_since(t) / calls);
                if (has_onednn) {
                    t = Clock::now();
                    for (int i = 0; i < calls; ++i) direct(true);
                    onednn_s.push_back(seconds_since(t) / calls);
                }
#ifdef TAPEGRAD_BENCH_TENSORS
                set_num_threads(threads);
                t = Clock::now();
                for (int i = 0; i < calls; ++i) our_call();
                ours_s.push_back(seconds_since(t) / calls);
#endif
            }
        } else {  // several: one library after another, each settled first
#ifdef TAPEGRAD_BENCH_TENSORS
            set_num_threads(threads);
            ours_s = time_reps(our_call);
#endif
            if (has_onednn) onednn_s = time_reps([&] { direct(true); });
            blas_s = time_reps([&] { direct(false); });
        }
        double best = median(blas_s);
        state.counters["blas_gflops"] = flops / best * 1e-9;
        if (!onednn_s.empty()) {
            state.counters["onednn_gflops"] = flops / median(onednn_s) * 1e-9;
            best = std::min(best, median(onednn_s));
        }
        state.SetIterationTime(best);
        state.counters["best_gflops"] = flops / best * 1e-9;
        if (!ours_s.empty()) {
            const double ours = median(ours_s);
            state.counters["gflops"] = flops / ours * 1e-9;
            state.counters["ratio_to_best"] = best / ours;  // our GFLOP/s / the fastest library's
        }
    }
    openblas_set_num_threads(1);
}

// ---- T2 floor: the GEMMs of one T2 step alone, as tapegrad hands them to the BLAS, timed on each
// library called directly and on tapegrad's own choice (detail::gemm); floor_ms is the fastest.

// Layer l maps kT2Sizes[l] -> kT2Sizes[l+1] with weights stored [in, out]. Forward: H = X W.
// Backward: dW = X^T dH (A transposed in place), and for layers 2 and 3 dX = dH W^T.
void T2_floor(benchmark::State& state) {
    const int threads = static_cast<int>(state.range(0));
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
    enum Kernel { openblas, onednn, chosen };
    const auto product = [&](Kernel kernel, bool ta, bool tb, int m, int n, int k, const float* a, int lda,
                             const float* b, int ldb, float* c, int ldc) {
        if (kernel == chosen) return detail::gemm(ta, tb, m, n, k, a, lda, b, ldb, 0.0f, c, ldc);
        direct_gemm<float>(kernel == onednn, threads, ta, tb, m, n, k, a, lda, b, ldb, c, ldc);
    };
    const auto step = [&](Kernel kernel) {
        for (int l = 0; l < 3; ++l) {
            const int in = kT2Sizes[l], out = kT2Sizes[l + 1];
            product(kernel, false, false, batch, out, in, acts[l].data(), in, weights[l].data(), out,
                    acts[l + 1].data(), out);
        }
        for (int l = 2; l >= 0; --l) {
            const int in = kT2Sizes[l], out = kT2Sizes[l + 1];
            product(kernel, true, false, in, out, batch, acts[l].data(), in, grads[l + 1].data(), out, wgrads[l].data(),
                    out);
            if (l > 0)
                product(kernel, false, true, batch, in, out, grads[l + 1].data(), out, weights[l].data(), out,
                        grads[l].data(), in);
        }
    };
    std::vector<Kernel> kernels{openblas, chosen};
    if (detail::onednn() != nullptr) kernels.push_back(onednn);
#ifdef TAPEGRAD_BENCH_TENSORS
    set_num_threads(threads);
#endif
    const char* names[] = {"floor_openblas_ms", "floor_onednn_ms", "floor_chosen_ms"};
    for (auto _ : state) {
        std::vector<std::vector<double>> times(3);
        for (int s = 0; s < (quick() ? 1 : kT2Warmup); ++s)
            for (Kernel k : kernels) step(k);
        for (int s = 0; s < (quick() ? 1 : kT2Steps); ++s)
            for (Kernel k : kernels) {  // in alternation
                const auto t = Clock::now();
                step(k);
                times[k].push_back(seconds_since(t));
            }
        double best = 1e30;
        for (Kernel k : kernels) {
            state.counters[names[k]] = median(times[k]) * 1e3;
            if (k != chosen) best = std::min(best, median(times[k]));
        }
        state.SetIterationTime(best);
        state.counters["floor_ms"] = best * 1e3;
    }
    openblas_set_num_threads(1);
#ifdef TAPEGRAD_BENCH_TENSORS
    set_num_threads(1);
#endif
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
        ->ArgNames({"threads"})
        ->Arg(1)
        ->Arg(2)
        ->Iterations(1)
        ->UseManualTime()
        ->Unit(benchmark::kMillisecond);
}

}  // namespace tapegrad::bench
