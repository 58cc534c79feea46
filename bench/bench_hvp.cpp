// H1 "Hessian-vector product" (WORKLOADS.md, h1_workload.hpp): one gradient and one H v of S2's
// loss in its 337 parameters, medians of 20 after 3 warm-up runs, in the same repetition so that
// the ratio is not skewed by the machine between two benchmarks. bench/hvp_torch.py times the
// same on PyTorch. Beside them, what higher orders cost on the same graph: recording under
// HigherOrder against plain recording, grad without and with create_graph against backward, and
// H v through create_graph (grad of g . v) against the forward-over-reverse hvp.
#include <cmath>
#include <vector>

#include <benchmark/benchmark.h>

#include <tapegrad/tapegrad.hpp>

#include "bench_common.hpp"
#include "h1_workload.hpp"

namespace tapegrad::bench {
namespace {

constexpr int kH1Warmup = 3, kH1Runs = 20;

struct Timings {
    std::vector<double> gradient, hvp, hvp_create_graph, record_plain, record_higher_order, backward, grad_first_order,
        grad_create_graph;
};

template <class F> double time_us(F&& f) {
    const auto t = Clock::now();
    f();
    return seconds_since(t) * 1e6;
}

// H v as grad(g . v) with g = grad(f, create_graph): the route the forward-over-reverse hvp
// replaces, on `tape`.
std::vector<double> hvp_by_create_graph(Tape& tape, const S2Data& data, const std::vector<double>& x,
                                        const std::vector<double>& v) {
    const CurrentTape current(tape);
    std::vector<Value> xs(x.begin(), x.end());
    {
        const HigherOrder guard;
        const std::vector<Value> g = grad(s2_loss_of(xs, data), xs, {.create_graph = true});
        dot(g, std::vector<Value>(v.begin(), v.end())).backward();
    }
    std::vector<double> out;
    for (const Value& leaf : xs) out.push_back(leaf.grad());
    tape.clear();
    return out;
}

// One run of every measurement, in a fixed order.
void measure_once(Timings& t, const S2Data& data, const std::vector<double>& x, const std::vector<double>& v,
                  Tape& tape, std::vector<double>& hv) {
    const auto f = [&](const std::vector<Value>& p) { return s2_loss_of(p, data); };
    t.gradient.push_back(time_us([&] { benchmark::DoNotOptimize(tapegrad::gradient(f, x)); }));
    t.hvp.push_back(time_us([&] { hv = tapegrad::hvp(f, x, v); }));
    t.hvp_create_graph.push_back(time_us([&] { benchmark::DoNotOptimize(hvp_by_create_graph(tape, data, x, v)); }));

    const CurrentTape current(tape);
    std::vector<Value> xs(x.begin(), x.end());
    Value y;
    t.record_plain.push_back(time_us([&] { y = f(xs); }));
    t.backward.push_back(time_us([&] { y.backward(); }));
    t.grad_first_order.push_back(time_us([&] { benchmark::DoNotOptimize(grad(y, xs)); }));
    tape.clear();
    xs.assign(x.begin(), x.end());
    {
        const HigherOrder guard;
        t.record_higher_order.push_back(time_us([&] { y = f(xs); }));
        t.grad_create_graph.push_back(time_us([&] { benchmark::DoNotOptimize(grad(y, xs, {.create_graph = true})); }));
    }
    tape.clear();
}

void H1_hvp(benchmark::State& state) {
    const S2Data data;
    const std::vector<double> x = s2_initial_parameters(), v = h1_direction(x.size());
    const int runs = quick() ? 2 : kH1Runs;
    Tape tape;
    for (auto _ : state) {
        Timings t;
        std::vector<double> hv;
        for (int r = 0; r < kH1Warmup; ++r) measure_once(t, data, x, v, tape, hv);
        t = Timings{};
        for (int r = 0; r < runs; ++r) measure_once(t, data, x, v, tape, hv);
        double norm = 0.0;
        for (double h : hv) norm += h * h;
        const double gradient = median(t.gradient), hvp = median(t.hvp), backward = median(t.backward);
        state.SetIterationTime(hvp * 1e-6);
        state.counters["parameters"] = static_cast<double>(x.size());
        state.counters["gradient_us"] = gradient;
        state.counters["hvp_us"] = hvp;
        state.counters["ratio"] = hvp / gradient;
        state.counters["hv_norm"] = std::sqrt(norm);
        state.counters["hvp_create_graph_us"] = median(t.hvp_create_graph);
        state.counters["create_graph_ratio"] = median(t.hvp_create_graph) / gradient;
        state.counters["record_plain_us"] = median(t.record_plain);
        state.counters["record_higher_order_us"] = median(t.record_higher_order);
        state.counters["record_ratio"] = median(t.record_higher_order) / median(t.record_plain);
        state.counters["backward_us"] = backward;
        state.counters["grad_first_order_us"] = median(t.grad_first_order);
        state.counters["grad_create_graph_us"] = median(t.grad_create_graph);
        state.counters["grad_ratio"] = median(t.grad_first_order) / backward;
        state.counters["create_graph_sweep_ratio"] = median(t.grad_create_graph) / backward;
    }
}

}  // namespace

void register_hvp_benchmarks() {
    benchmark::RegisterBenchmark("H1_hvp", H1_hvp)
        ->Iterations(1)
        ->Repetitions(repetitions(3))
        ->UseManualTime()
        ->Unit(benchmark::kMicrosecond)
        ->ReportAggregatesOnly(!quick());
}

}  // namespace tapegrad::bench
