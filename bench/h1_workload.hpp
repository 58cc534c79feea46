// H1 "Hessian-vector product" (WORKLOADS.md): S2's network and loss as a function of its 337
// parameters, at their starting values, and the direction v_k = cos(k + 1).
#pragma once

#include <cmath>
#include <span>
#include <vector>

#include <tapegrad/value.hpp>

#include "s2_workload.hpp"

namespace tapegrad::bench {

// The S2 loss of all points with the given parameters, written as bench_scalar.cpp's S2Network
// writes it: one dot node per neuron over its inputs and a constant 1 (weights then bias).
inline Value s2_loss_of(const std::vector<Value>& params, const S2Data& d) {
    std::vector<Value> act[kS2Layers];
    for (int l = 0; l < kS2Layers; ++l) act[l].resize(kS2Sizes[l] + 1);
    std::vector<Value> hinge(kS2Points);
    for (int i = 0; i < kS2Points; ++i) {
        act[0][0] = Value(d.x0[i]);
        act[0][1] = Value(d.x1[i]);
        for (int l = 0; l < kS2Layers; ++l) act[l][kS2Sizes[l]] = Value(1.0);
        const Value* w = params.data();
        Value score;
        for (int l = 0; l < kS2Layers; ++l) {
            const int fan_in = kS2Sizes[l] + 1, fan_out = kS2Sizes[l + 1];
            const std::span<const Value> x(act[l].data(), fan_in);
            for (int j = 0; j < fan_out; ++j, w += fan_in) {
                Value z = dot(std::span<const Value>(w, fan_in), x);
                if (l + 1 < kS2Layers) act[l + 1][j] = z.relu();
                else score = z;
            }
        }
        hinge[i] = (1.0 - score * d.label[i]).relu();
    }
    return s2_loss(hinge, params);
}

inline std::vector<double> h1_direction(std::size_t n) {
    std::vector<double> v;
    for (std::size_t k = 0; k < n; ++k) v.push_back(std::cos(k + 1.0));
    return v;
}

}  // namespace tapegrad::bench
