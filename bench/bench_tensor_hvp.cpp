// TH "tensor create_graph": what tensor grad with create_graph costs against a plain backward on
// a small float64 MLP (16-64-64-1, tanh, batch 32, mse loss, 5,313 parameters), one thread:
// medians of 30 runs after 5 warm-up runs, every measurement in each run, in a fixed order.
//
//   forward_us            the forward pass (recorded)
//   backward_us           backward() after it
//   grad_us               grad() without create_graph (the rules under NoGrad)
//   grad_create_graph_us  grad() with create_graph (the rules recorded)
//   hvp_us                H v: grad with create_graph, then grad of sum(g * v)
// and the ratios of the last three to backward_us.
#include <vector>

#include <benchmark/benchmark.h>

#include <tapegrad/tapegrad.hpp>

#include "bench_common.hpp"

namespace tapegrad::bench {
namespace {

constexpr int kTHWarmup = 5, kTHRuns = 30;
constexpr std::int64_t kIn = 16, kHidden = 64, kBatch = 32;

template <class F> double time_us(F&& f) {
    const auto t = Clock::now();
    f();
    return seconds_since(t) * 1e6;
}

struct Mlp {
    std::vector<Tensor> params;
    Tensor x, target;
    std::vector<Tensor> directions;

    Mlp() {
        Generator g(7);
        const std::int64_t sizes[] = {kIn, kHidden, kHidden, 1};
        for (int l = 0; l < 3; ++l) {
            params.push_back(Tensor::randn({sizes[l], sizes[l + 1]}, g, DType::f64) * 0.3);
            params.back() = Tensor::from(params.back(), true);
            params.push_back(Tensor::zeros({sizes[l + 1]}, DType::f64, true));
        }
        x = Tensor::randn({kBatch, kIn}, g, DType::f64);
        target = Tensor::randn({kBatch, 1}, g, DType::f64);
        for (const Tensor& p : params) directions.push_back(Tensor::randn(Shape(p.sizes()), g, DType::f64));
    }
    Tensor loss() const {
        Tensor h = x;
        for (int l = 0; l < 3; ++l) {
            h = h.matmul(params[2 * l]) + params[2 * l + 1];
            if (l < 2) h = h.tanh();
        }
        return nn::mse_loss(h, target);
    }
};

void TH_tensor_create_graph(benchmark::State& state) {
    set_num_threads(1);
    Mlp m;
    Tape& tape = Tape::current();
    const int runs = quick() ? 2 : kTHRuns;
    for (auto _ : state) {
        std::vector<double> forward, backward, plain, create_graph, hvp;
        for (int r = 0; r < kTHWarmup + runs; ++r) {
            const bool keep = r >= kTHWarmup;
            tape.clear();
            Tensor y;
            const double f = time_us([&] { y = m.loss(); });
            const double b = time_us([&] { y.backward(); });
            for (Tensor& p : m.params) p.zero_grad();
            const double p = time_us([&] { benchmark::DoNotOptimize(grad(y, m.params)); });
            const double c = time_us([&] { benchmark::DoNotOptimize(grad(y, m.params, {.create_graph = true})); });
            tape.clear();
            y = m.loss();
            const double h = time_us([&] {
                const std::vector<Tensor> g = grad(y, m.params, {.create_graph = true});
                Tensor inner = (g[0] * m.directions[0]).sum();
                for (std::size_t k = 1; k < g.size(); ++k) inner = inner + (g[k] * m.directions[k]).sum();
                benchmark::DoNotOptimize(grad(inner, m.params));
            });
            if (!keep) continue;
            forward.push_back(f);
            backward.push_back(b);
            plain.push_back(p);
            create_graph.push_back(c);
            hvp.push_back(h);
        }
        const double bw = median(backward);
        state.SetIterationTime(median(create_graph) * 1e-6);
        state.counters["forward_us"] = median(forward);
        state.counters["backward_us"] = bw;
        state.counters["grad_us"] = median(plain);
        state.counters["grad_create_graph_us"] = median(create_graph);
        state.counters["hvp_us"] = median(hvp);
        state.counters["grad_ratio"] = median(plain) / bw;
        state.counters["create_graph_ratio"] = median(create_graph) / bw;
        state.counters["hvp_ratio"] = median(hvp) / bw;
    }
    tape.clear();
}

}  // namespace

void register_tensor_hvp_benchmarks() {
    benchmark::RegisterBenchmark("TH_tensor_create_graph", TH_tensor_create_graph)
        ->Iterations(1)
        ->Repetitions(repetitions(3))
        ->UseManualTime()
        ->Unit(benchmark::kMicrosecond)
        ->ReportAggregatesOnly(!quick());
}

}  // namespace tapegrad::bench
