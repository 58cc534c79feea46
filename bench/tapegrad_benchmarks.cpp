// The tapegrad benchmark binary's workloads: the scalar ones always (S2 twice: by hand and through
// nn), the tensor ones when the tensor header exists (bench_tensor.cpp), the BLAS baselines always,
// H1 (bench_hvp.cpp) and TH, tensor grad with create_graph (bench_tensor_hvp.cpp).
#include <benchmark/benchmark.h>
#include <tapegrad/blas.hpp>
#include <tapegrad/flush_denormal.hpp>

#include "bench_common.hpp"

namespace tapegrad::bench {
void register_scalar_benchmarks();
void register_scalar_nn_benchmarks();
void register_tensor_benchmarks();
void register_hvp_benchmarks();
void register_tensor_hvp_benchmarks();

// Where the figures come from, in every run's JSON (bench/compare.py prints it over the table).
// blas_info() also makes the GEMM choice before any baseline calls the BLAS directly.
void describe_machine() {
    const BlasInfo b = blas_info();
    benchmark::AddCustomContext("tapegrad_cpu", b.cpu + ", " + b.cpu_isa);
    benchmark::AddCustomContext("tapegrad_gemm", "float32 on " + b.f32_gemm + " (" + b.f32_choice +
                                                     "), float64 on OpenBLAS " + b.kernel + " kernels, " + b.choice);
    benchmark::AddCustomContext("tapegrad_blas_config", b.backend);
    benchmark::AddCustomContext("tapegrad_flush_denormal", flush_denormal() ? "on" : "off");
}

void register_benchmarks() {
    describe_machine();
    register_scalar_benchmarks();
    register_scalar_nn_benchmarks();
    register_tensor_benchmarks();
    register_hvp_benchmarks();
    register_tensor_hvp_benchmarks();
}
}  // namespace tapegrad::bench
