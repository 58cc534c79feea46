// S2 "scalar MLP step" (WORKLOADS.md): the data, the initial parameters, the plain-double
// baseline and the timing harness, shared by the two ways of writing the network on tapegrad
// (bench_scalar.cpp by hand, bench_scalar_nn.cpp through nn::MLP).
#pragma once

#include <cmath>
#include <cstddef>
#include <span>
#include <vector>

#include <benchmark/benchmark.h>

#include <tapegrad/value.hpp>

#include "alloc_counter.hpp"
#include "bench_common.hpp"

namespace tapegrad::bench {

// ---- S2: one SGD step of a 2-16-16-1 ReLU MLP on 100 points, hinge loss + L2

constexpr int kS2Points = 100;
constexpr int kS2Sizes[] = {2, 16, 16, 1};
constexpr int kS2Layers = 3;
constexpr double kS2Lr = 0.05, kS2Alpha = 1e-4;
constexpr int kS2Warmup = 3, kS2Steps = 20;

struct S2Data {
    std::vector<double> x0, x1, label;
    S2Data() {
        for (int i = 0; i < kS2Points; ++i) {
            x0.push_back(std::cos(0.0628 * i) * (1 + 0.1 * std::sin(7.0 * i)));
            x1.push_back(std::sin(0.0628 * i) * (1 + 0.1 * std::cos(5.0 * i)));
            label.push_back(i % 2 == 0 ? 1.0 : -1.0);
        }
    }
};

// Parameter k (layer by layer, neuron by neuron, weights then bias) starts at 0.5 sin(k + 1).
inline std::vector<double> s2_initial_parameters() {
    std::vector<double> p;
    for (int l = 0; l < kS2Layers; ++l)
        for (int k = 0; k < kS2Sizes[l + 1] * (kS2Sizes[l] + 1); ++k) p.push_back(0.5 * std::sin(p.size() + 1.0));
    return p;
}

// The loss on plain doubles: the baseline, and the loss reported after 20 steps.
[[gnu::noinline]] inline double s2_primal_loss(const std::vector<double>& p, const S2Data& d) {
    double act[2][16];
    double hinge = 0.0;
    for (int i = 0; i < kS2Points; ++i) {
        act[0][0] = d.x0[i];
        act[0][1] = d.x1[i];
        const double* w = p.data();
        int in = 0;
        double score = 0.0;
        for (int l = 0; l < kS2Layers; ++l) {
            const int fan_in = kS2Sizes[l], fan_out = kS2Sizes[l + 1];
            for (int j = 0; j < fan_out; ++j, w += fan_in + 1) {
                double z = w[fan_in];
                for (int k = 0; k < fan_in; ++k) z += w[k] * act[in][k];
                if (l + 1 < kS2Layers) act[1 - in][j] = z > 0.0 ? z : 0.0;
                else score = z;
            }
            in = 1 - in;
        }
        const double margin = 1.0 - d.label[i] * score;
        hinge += margin > 0.0 ? margin : 0.0;
    }
    double squares = 0.0;
    for (double v : p) squares += v * v;
    return hinge / kS2Points + kS2Alpha * squares;
}

// The loss on the tape, from the points' hinge terms: their mean plus alpha times the sum of
// squared parameters.
inline Value s2_loss(std::span<const Value> hinge, std::span<const Value> params) {
    return sum(hinge) * (1.0 / kS2Points) + kS2Alpha * dot(params, params);
}
// The parameters' values (for the loss after 20 steps).
inline std::vector<double> s2_values(std::span<const Value> params) {
    std::vector<double> v;
    for (const Value& p : params) v.push_back(p.data());
    return v;
}

// Times S2 on a network type beside the primal, in the same repetition. Net (S2Network or
// S2Model) is made from the initial parameters; step() runs one step; parameters() gives its
// parameters in the workload's order.
template <class Net> void measure_s2(benchmark::State& state) {
    const S2Data data;
    const int steps = quick() ? 2 : kS2Steps;
    for (auto _ : state) {
        Net net(s2_initial_parameters());
        std::vector<double> primal_params = s2_initial_parameters();
        double loss_after_20 = 0.0;
        for (int s = 0; s < kS2Warmup; ++s) net.step(data);
        std::vector<double> step_us, primal_us;
        step_us.reserve(steps);
        primal_us.reserve(steps);
        std::size_t allocs = 0;
        for (int s = 0; s < steps; ++s) {
            const std::size_t before = allocation_count();
            auto t = Clock::now();
            net.step(data);
            step_us.push_back(seconds_since(t) * 1e6);
            allocs += allocation_count() - before;
            t = Clock::now();
            benchmark::DoNotOptimize(s2_primal_loss(primal_params, data));
            primal_us.push_back(seconds_since(t) * 1e6);
            if (kS2Warmup + s + 1 == 20) loss_after_20 = s2_primal_loss(s2_values(net.parameters()), data);
        }
        const double allocs_per_step = static_cast<double>(allocs) / steps;
        const double tg = median(step_us), primal = median(primal_us);
        state.SetIterationTime(tg * 1e-6);
        state.counters["step_us"] = tg;
        state.counters["primal_us"] = primal;
        state.counters["ratio"] = tg / primal;
        state.counters["allocs_warm"] = allocs_per_step;
        state.counters["loss_after_20"] = loss_after_20;
    }
    Tape::current().clear();
}

template <class Net> void register_s2(const char* name) {
    benchmark::RegisterBenchmark(name, measure_s2<Net>)
        ->Iterations(1)
        ->Repetitions(repetitions(5))
        ->UseManualTime()
        ->Unit(benchmark::kMicrosecond)
        ->ReportAggregatesOnly(!quick());
}

}  // namespace tapegrad::bench
