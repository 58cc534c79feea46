// Anomaly mode: while it is on, the first op that produces a NaN or an infinity, in the forward
// pass or in the backward pass, raises Error naming the op and its position on the tape (like
// torch.autograd.detect_anomaly). Off by default; when off it costs one predictable branch per
// recorded op, and backward runs the unchecked sweep.
#pragma once

#include <atomic>
#include <cmath>
#include <cstddef>
#include <span>

namespace tapegrad {

// Turns anomaly mode on or off for every thread.
void detect_anomaly(bool on);
bool anomaly_detection_enabled();

// While alive, anomaly mode is on (or `on`); the previous setting comes back at its end.
class DetectAnomaly {
public:
    explicit DetectAnomaly(bool on = true);
    ~DetectAnomaly();
    DetectAnomaly(const DetectAnomaly&) = delete;
    DetectAnomaly& operator=(const DetectAnomaly&) = delete;

private:
    bool was_on_;
};

namespace detail {

inline std::atomic<bool> anomaly_on{false};

// The cheap test every recorder makes: a relaxed load, false unless anomaly mode is on.
inline bool anomaly_mode() { return anomaly_on.load(std::memory_order_relaxed); }

// Raises Error: "anomaly: <pass> of '<op>' (node <position> on the tape) produced <value>".
// pass is "forward" or "backward"; position is the op's index among the tape's scalar nodes
// (for tensor ops: Tape::entry_count() or the node count at the time, as the caller documents).
// Tensor ops pass kind "tensor op": their position is their entry's index.
[[noreturn]] void throw_anomaly(const char* pass, const char* op, std::size_t position, double value,
                                const char* kind = "node");

// For ops outside the scalar recorders (tensor kernels): checks xs when anomaly mode is on.
template <class T>
inline void check_anomaly(const char* pass, const char* op, std::size_t position, std::span<const T> xs) {
    if (!anomaly_mode()) return;
    for (const T x : xs)
        if (!std::isfinite(x)) [[unlikely]]
            throw_anomaly(pass, op, position, static_cast<double>(x));
}

}  // namespace detail
}  // namespace tapegrad
