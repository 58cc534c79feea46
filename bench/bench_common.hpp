// Shared by the benchmark binaries: quick mode, a steady clock, medians, heap allocations.
#pragma once

#include <algorithm>
#include <chrono>
#include <vector>

#include "alloc_counter.hpp"  // testing/, shared with the tests

namespace tapegrad::bench {

using tapegrad::testing::allocation_count;

// --quick (stripped by main): every benchmark runs once, with fewer steps, so that CI can
// check that it still works. Figures from a quick run are not measurements.
bool quick();
// Repetitions of a workload (each one reports its own figures; Google Benchmark takes medians).
inline int repetitions(int full) { return quick() ? 1 : full; }

using Clock = std::chrono::steady_clock;
inline double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

inline double median(std::vector<double> xs) {
    if (xs.empty()) return 0.0;
    std::sort(xs.begin(), xs.end());
    const std::size_t n = xs.size();
    return n % 2 == 1 ? xs[n / 2] : 0.5 * (xs[n / 2 - 1] + xs[n / 2]);
}

// Registers the binary's workloads; main() calls it after parsing --quick.
void register_benchmarks();

}  // namespace tapegrad::bench
