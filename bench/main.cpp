// The benchmark binaries' main: strips --quick, registers the workloads, runs Google Benchmark.
#include <cstring>
#include <vector>

#include <benchmark/benchmark.h>

#include "bench_common.hpp"

namespace tapegrad::bench {
namespace {
bool quick_mode = false;
}
bool quick() { return quick_mode; }
}  // namespace tapegrad::bench

int main(int argc, char** argv) {
    std::vector<char*> args;
    for (int i = 0; i < argc; ++i) {
        if (std::strcmp(argv[i], "--quick") == 0) tapegrad::bench::quick_mode = true;
        else args.push_back(argv[i]);
    }
    int n = static_cast<int>(args.size());
    benchmark::Initialize(&n, args.data());
    if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 1;
    tapegrad::bench::register_benchmarks();
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
