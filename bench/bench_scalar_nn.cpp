// S2 through the micrograd-style API (nn::MLP, optim::SGD), beside the hand-built network of
// bench_scalar.cpp: what a program written against nn gets.
#include <vector>

#include <benchmark/benchmark.h>

#include <tapegrad/tapegrad.hpp>

#include "s2_workload.hpp"

namespace tapegrad::bench {
namespace {

// S2 written as a user of the micrograd-style API writes it: nn::MLP, its parameters in
// parameters() order (the workload's), optim::SGD, and forward() into a workspace the loop keeps
// (so a warm step allocates nothing). Unlike bench_scalar.cpp's network, a neuron records
// dot(w, x) + b (one node too: the + fuses into the dot's node).
class S2Model {
public:
    explicit S2Model(const std::vector<double>& init)
        : model_(kS2Sizes[0], {kS2Sizes[1], kS2Sizes[2], kS2Sizes[3]}), params_(model_.parameters()),
          opt_(params_, kS2Lr) {
        for (std::size_t k = 0; k < params_.size(); ++k) params_[k].set_data(init[k]);
        hinge_.resize(kS2Points);
        x_.resize(2);
    }
    double step(const S2Data& d) {
        for (int i = 0; i < kS2Points; ++i) {
            x_[0] = Value(d.x0[i]);
            x_[1] = Value(d.x1[i]);
            const Value& score = model_.forward(x_, ws_)[0];
            hinge_[i] = (1.0 - score * d.label[i]).relu();
        }
        Value loss = s2_loss(hinge_, params_);
        loss.backward();
        const double out = loss.data();
        opt_.step();
        opt_.zero_grad();
        Tape::current().clear();
        return out;
    }
    const std::vector<Value>& parameters() const { return params_; }

private:
    nn::MLP model_;
    std::vector<Value> params_;
    optim::SGD opt_;
    std::vector<Value> hinge_, x_;
    nn::MLP::Workspace ws_;
};

}  // namespace

void register_scalar_nn_benchmarks() { register_s2<S2Model>("S2_mlp_step_nn_api"); }

}  // namespace tapegrad::bench
