// The library's one way to multiply matrices: row-major C = op(A) op(B) + beta C, on the kernels
// chosen for this CPU (include/tapegrad/blas.hpp): OpenBLAS, or oneDNN's sgemm for float32 where
// it is installed and the CPU has AVX-512. Internal.
#pragma once

#include <cstdint>

namespace tapegrad::detail {

void gemm(bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k, const float* a, std::int64_t lda,
          const float* b, std::int64_t ldb, float beta, float* c, std::int64_t ldc);
void gemm(bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k, const double* a, std::int64_t lda,
          const double* b, std::int64_t ldb, double beta, double* c, std::int64_t ldc);

// oneDNN, loaded at run time (libdnnl.so.2) the first time it is asked for; null if it is not
// installed. sgemm is dnnl_sgemm: row-major, alpha = 1.
struct OneDnn {
    using Sgemm = int (*)(char, char, std::int64_t, std::int64_t, std::int64_t, float, const float*, std::int64_t,
                          const float*, std::int64_t, float, float*, std::int64_t);
    Sgemm sgemm;
    int (*omp_get_max_threads)();
    void (*omp_set_num_threads)(int);
    int major, minor, patch;
};
const OneDnn* onednn();
// One dnnl_sgemm call on the calling thread alone (no OpenMP threads): C = op(A) op(B) + beta C.
void onednn_sgemm(const OneDnn& d, bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k, const float* a,
                  std::int64_t lda, const float* b, std::int64_t ldb, float beta, float* c, std::int64_t ldc);

}  // namespace tapegrad::detail
