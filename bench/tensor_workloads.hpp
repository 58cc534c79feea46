// T1 and T2 (WORKLOADS.md) written once for any tensor library: the tapegrad and libtorch
// binaries give it the same fixed inputs, so their figures can be set side by side.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include <benchmark/benchmark.h>

#include "alloc_counter.hpp"
#include "bench_common.hpp"

namespace tapegrad::bench {

constexpr int kT1Steps = 1000;
constexpr double kT1OpsPerStep = 3.0;  // mul, add, tanh
constexpr int kT2Sizes[] = {784, 256, 128, 10};
constexpr int kT2Batch = 128;
constexpr double kT2Lr = 0.01;
constexpr int kT2Warmup = 5, kT2Steps = 30;

// Fixed pseudo-random data: uniform in [-scale, scale), from one seed per use.
inline std::vector<float> fixed_uniform(std::size_t n, float scale, std::uint32_t seed) {
    std::mt19937 gen(seed);
    std::uniform_real_distribution<float> dist(-scale, scale);
    std::vector<float> v(n);
    for (float& x : v) x = dist(gen);
    return v;
}
inline std::vector<std::int64_t> fixed_labels(std::size_t n, std::uint32_t seed) {
    std::mt19937 gen(seed);
    std::vector<std::int64_t> v(n);
    for (auto& x : v) x = static_cast<std::int64_t>(gen() % 10);
    return v;
}
// Layer l's weights (fan_in x fan_out, Kaiming-uniform-like) and bias.
inline std::vector<float> t2_weights(int l) {
    return fixed_uniform(static_cast<std::size_t>(kT2Sizes[l]) * kT2Sizes[l + 1],
                         1.0f / std::sqrt(static_cast<float>(kT2Sizes[l])), 100 + l);
}
inline std::vector<float> t2_bias(int l) {
    return fixed_uniform(kT2Sizes[l + 1], 1.0f / std::sqrt(static_cast<float>(kT2Sizes[l])), 200 + l);
}
inline std::vector<float> t2_inputs() { return fixed_uniform(static_cast<std::size_t>(kT2Batch) * 784, 1.0f, 7); }
inline std::vector<std::int64_t> t2_labels() { return fixed_labels(kT2Batch, 8); }

// Times T1: one warm-up run, then each iteration's run (ns per op), its heap allocations and the
// sum of dy/dw it returns, as counters. run() does `steps` steps, backward, and returns that sum.
template <class Run> void measure_t1(benchmark::State& state, int steps, Run&& run) {
    run();
    for (auto _ : state) {
        const std::size_t allocs = allocation_count();
        const auto t = Clock::now();
        const double g = run();
        const double s = seconds_since(t);
        state.SetIterationTime(s);
        state.counters["ns_op"] = s * 1e9 / (kT1OpsPerStep * steps);
        state.counters["allocs_step"] = static_cast<double>(allocation_count() - allocs);
        state.counters["sum_dw"] = g;
    }
}

// Times T2: warm-up steps, then the median of kT2Steps steps (ms), heap allocations per step and
// the last loss, as counters. step() runs one training step and returns its loss.
template <class Step> void measure_t2(benchmark::State& state, Step&& step) {
    const int steps = quick() ? 2 : kT2Steps;
    for (auto _ : state) {
        for (int s = 0; s < (quick() ? 1 : kT2Warmup); ++s) step();
        std::vector<double> ms;
        ms.reserve(steps);  // so that only the steps' own allocations are counted
        std::size_t allocs = 0;
        double loss = 0.0;
        for (int s = 0; s < steps; ++s) {
            const std::size_t before = allocation_count();
            const auto t = Clock::now();
            loss = step();
            ms.push_back(seconds_since(t) * 1e3);
            allocs += allocation_count() - before;  // operator new only
        }
        state.SetIterationTime(median(ms) * 1e-3);
        state.counters["step_ms"] = median(ms);
        state.counters["allocs_step"] = static_cast<double>(allocs) / steps;
        state.counters["loss"] = loss;
    }
}

// Registers a binary's T1 and T2, with the same repetitions and thread counts in both binaries
// so that their figures can be set side by side.
inline void register_t1_t2(void (*t1)(benchmark::State&), void (*t2)(benchmark::State&)) {
    benchmark::RegisterBenchmark("T1_small_ops", t1)
        ->Iterations(1)
        ->Repetitions(repetitions(9))
        ->UseManualTime()
        ->Unit(benchmark::kMicrosecond)
        ->ReportAggregatesOnly(!quick());
    benchmark::RegisterBenchmark("T2_mlp_step", t2)
        ->ArgName("threads")
        ->Arg(1)
        ->Arg(2)
        ->Iterations(1)
        ->Repetitions(repetitions(3))
        ->UseManualTime()
        ->Unit(benchmark::kMillisecond)
        ->ReportAggregatesOnly(!quick());
}

}  // namespace tapegrad::bench
