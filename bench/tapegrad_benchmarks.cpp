// The tapegrad benchmark binary's workloads: the scalar ones always (S2 twice: by hand and through
// nn), the tensor ones when the tensor header exists (bench_tensor.cpp), the BLAS baselines always.
#include "bench_common.hpp"

namespace tapegrad::bench {
void register_scalar_benchmarks();
void register_scalar_nn_benchmarks();
void register_tensor_benchmarks();

void register_benchmarks() {
    register_scalar_benchmarks();
    register_scalar_nn_benchmarks();
    register_tensor_benchmarks();
}
}  // namespace tapegrad::bench
