// S1 "chain" and S2 "scalar MLP step" (WORKLOADS.md, docs/PERFORMANCE.md), each
// beside its plain-double baseline measured in the same repetition, so that the ratio is not
// skewed by whatever else the machine is doing between two benchmarks.
#include <cmath>
#include <cstdio>
#include <span>
#include <vector>

#include <benchmark/benchmark.h>

#include <tapegrad/tapegrad.hpp>

#include "alloc_counter.hpp"
#include "bench_common.hpp"
#include "s2_workload.hpp"

namespace tapegrad::bench {
namespace {

// ---- S1: y = tanh(y*w + b), N times, then backward from y

constexpr int kS1Steps = 1'000'000;
constexpr double kS1W = 0.9, kS1B = 0.1, kS1X0 = 0.5;
constexpr double kS1OpsPerStep = 3.0;  // mul, add, tanh

// The function on plain doubles: the denominator of the AD overhead ratio.
[[gnu::noinline]] double s1_primal(double w, double b, double x0) {
    double y = x0;
    for (int i = 0; i < kS1Steps; ++i) y = std::tanh(y * w + b);
    return y;
}

// Plain doubles and a hand-written reverse loop: the forward pass keeps every y, the reverse
// pass walks them back. Returns dy/dw.
[[gnu::noinline]] double s1_hand_reverse(double w, double b, double x0, std::vector<double>& ys) {
    ys[0] = x0;
    for (int i = 0; i < kS1Steps; ++i) ys[i + 1] = std::tanh(ys[i] * w + b);
    double g = 1.0, gw = 0.0, gb = 0.0;  // g = dy_N / dy_(i+1)
    for (int i = kS1Steps; i-- > 0;) {
        const double t = ys[i + 1];
        const double dz = g * (1.0 - t * t);  // z = y_i w + b
        gw += dz * ys[i];
        gb += dz;
        g = dz * w;
    }
    benchmark::DoNotOptimize(gb);
    return gw;
}

struct S1Result {
    double record_s, backward_s, dy_dw, bytes_per_op;
    std::size_t allocations;  // while recording and sweeping
};

S1Result s1_tapegrad(double w0, double b0, double x00) {
    Tape& tape = Tape::current();
    tape.clear();
    const std::size_t allocs = allocation_count();
    const auto t0 = Clock::now();
    Value w = w0, b = b0, x0 = x00;
    Value y = x0;
    for (int i = 0; i < kS1Steps; ++i) y = (y * w + b).tanh();
    const double record_s = seconds_since(t0);
    const auto t1 = Clock::now();
    y.backward();
    const double backward_s = seconds_since(t1);
    const double bytes = static_cast<double>(tape.bytes_used()) / (kS1OpsPerStep * kS1Steps);
    return {record_s, backward_s, w.grad(), bytes, allocation_count() - allocs};
}

void S1_chain(benchmark::State& state) {
    std::vector<double> ys(kS1Steps + 1);
    // Read through volatile so that the baselines cannot be constant-folded. (Not DoNotOptimize
    // on a double lvalue: with GCC 12 and benchmark 1.7.1 its "+m,r" constraint garbles it.)
    volatile double inputs[3] = {kS1W, kS1B, kS1X0};
    const double w = inputs[0], b = inputs[1], x0 = inputs[2];
    s1_tapegrad(w, b, x0);  // warm the tape: the timed repetitions record on reused memory
    for (auto _ : state) {
        auto t = Clock::now();
        benchmark::DoNotOptimize(s1_primal(w, b, x0));
        const double primal_s = seconds_since(t);
        t = Clock::now();
        const double hand_dw = s1_hand_reverse(w, b, x0, ys);
        const double hand_s = seconds_since(t);
        const S1Result r = s1_tapegrad(w, b, x0);
        state.SetIterationTime(r.record_s + r.backward_s);
        // The same sweep with IEEE subnormals kept: what the flush saves on this CPU.
        set_flush_denormal(false);
        const S1Result ieee = s1_tapegrad(w, b, x0);
        set_flush_denormal(true);

        const double per_op = 1e9 / (kS1OpsPerStep * kS1Steps);  // seconds -> ns per recorded op
        state.counters["primal_ns_op"] = primal_s * per_op;
        state.counters["hand_ns_op"] = hand_s * per_op;
        state.counters["record_ns_op"] = r.record_s * per_op;
        state.counters["backward_ns_op"] = r.backward_s * per_op;
        state.counters["backward_ieee_ns_op"] = ieee.backward_s * per_op;
        state.counters["ieee_same_dy_dw"] = ieee.dy_dw == r.dy_dw ? 1.0 : 0.0;
        state.counters["total_ns_op"] = (r.record_s + r.backward_s) * per_op;
        state.counters["hand_ratio"] = hand_s / primal_s;
        state.counters["ratio"] = (r.record_s + r.backward_s) / primal_s;
        state.counters["record_ratio"] = r.record_s / primal_s;
        state.counters["allocs_warm"] = static_cast<double>(r.allocations);
        state.counters["tape_bytes_op"] = r.bytes_per_op;
        state.counters["dy_dw"] = r.dy_dw;
        state.counters["hand_dy_dw"] = hand_dw;
    }
    Tape::current().clear();
}

// ---- S2: one SGD step of a 2-16-16-1 ReLU MLP on 100 points, hinge loss + L2 (s2_workload.hpp)

// The network on tapegrad: parameters are Values that survive clear(); the activation buffers
// are reused across steps, so a warm step allocates nothing.
class S2Network {
public:
    explicit S2Network(const std::vector<double>& init) {
        for (double v : init) params_.push_back(Value::parameter(v));
        for (int l = 0; l < kS2Layers; ++l) act_[l].resize(kS2Sizes[l]);
        hinge_.resize(kS2Points);
    }
    ~S2Network() {
        for (Value& p : params_) Value::release_parameter(p);
    }
    S2Network(const S2Network&) = delete;
    S2Network& operator=(const S2Network&) = delete;

    // One step: forward over all points, loss, backward, SGD update, zero grads, clear the tape.
    double step(const S2Data& d) {
        Tape& tape = Tape::current();
        for (int i = 0; i < kS2Points; ++i) {
            act_[0][0] = Value(d.x0[i]);
            act_[0][1] = Value(d.x1[i]);
            const Value* w = params_.data();  // a neuron's weights, then its bias
            Value score;
            for (int l = 0; l < kS2Layers; ++l) {
                const int fan_in = kS2Sizes[l], fan_out = kS2Sizes[l + 1];
                const std::span<const Value> x(act_[l].data(), fan_in);
                for (int j = 0; j < fan_out; ++j, w += fan_in + 1) {
                    Value z = dot(std::span<const Value>(w, fan_in), x, w[fan_in]);
                    if (l + 1 < kS2Layers) act_[l + 1][j] = z.relu();
                    else score = z;
                }
            }
            hinge_[i] = (1.0 - score * d.label[i]).relu();
        }
        Value loss = s2_loss(hinge_, params_);
        loss.backward();
        const double out = loss.data();
        for (Value& p : params_) {
            p.set_data(p.data() - kS2Lr * p.grad());
            p.zero_grad();
        }
        tape.clear();
        return out;
    }
    const std::vector<Value>& parameters() const { return params_; }

private:
    std::vector<Value> params_;
    std::vector<Value> act_[3];  // inputs, hidden 1, hidden 2
    std::vector<Value> hinge_;
};

}  // namespace

void register_scalar_benchmarks() {
    benchmark::RegisterBenchmark("S1_chain", S1_chain)
        ->Iterations(1)
        ->Repetitions(repetitions(7))
        ->UseManualTime()
        ->Unit(benchmark::kMillisecond)
        ->ReportAggregatesOnly(!quick());
    register_s2<S2Network>("S2_mlp_step");
}

}  // namespace tapegrad::bench
