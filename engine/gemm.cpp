// The library's GEMM: OpenBLAS's cblas, or oneDNN's sgemm for float32 where blas_select.cpp chose
// it. oneDNN runs one thread per call; the product is split into row (or column) blocks across
// tapegrad's own threads, so no OpenMP thread pool spins beside them. Each element of C is
// computed whole by one call, so the split decides who computes it, never how.
#include "tapegrad/detail/gemm.hpp"

#include <cblas.h>

#include "tapegrad/detail/blas_select.hpp"
#include "tapegrad/detail/tensor_loops.hpp"
#include "tapegrad/threads.hpp"

namespace tapegrad::detail {

void onednn_sgemm(const OneDnn& d, bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k, const float* a,
                  std::int64_t lda, const float* b, std::int64_t ldb, float beta, float* c, std::int64_t ldc) {
    const int saved = d.omp_get_max_threads != nullptr ? d.omp_get_max_threads() : 1;
    if (saved != 1) d.omp_set_num_threads(1);
    d.sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', m, n, k, 1.0f, a, lda, b, ldb, beta, c, ldc);
    if (saved != 1) d.omp_set_num_threads(saved);
}

namespace {

// Blocks of at least this many rows (or columns) per thread: below it a split costs more than it
// saves.
constexpr std::int64_t kGemmGrain = 32;
// Products smaller than this many flops stay on one thread. The pool's threads spin briefly
// between jobs (engine/threads.cpp), so a split costs about a microsecond while they are awake,
// and a thread that is asleep leaves its parts to the caller: T3's smallest product (128x128x10,
// 0.33 Mflop, 3 us on one Zen 5 core) still gains from two. Below 2^18 flops it would not.
constexpr double kSplitFlops = 1 << 18;

// Splits C by rows where it has rows enough, else by columns, else not at all. Rows: a row block
// of C gives the same bits as the whole call (tests/test_blas_select.cpp checks T2's and T3's
// shapes). Columns only when B is not stored transposed: with B transposed, oneDNN sums some
// column blocks in another order (seen at k = 784 with blocks of 85 columns).
bool split_sgemm(const OneDnn& d, bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k, const float* a,
                 std::int64_t lda, const float* b, std::int64_t ldb, float beta, float* c, std::int64_t ldc) {
    if (m >= 2 * kGemmGrain) {  // rows of C: row i of op(A) starts at a + i*lda, or a + i when A is stored transposed
        parallel_for(m, kGemmGrain, [&](std::int64_t lo, std::int64_t hi) {
            onednn_sgemm(d, ta, tb, hi - lo, n, k, ta ? a + lo : a + lo * lda, lda, b, ldb, beta, c + lo * ldc, ldc);
        });
        return true;
    }
    if (n >= 2 * kGemmGrain && !tb) {  // columns of C: column j of op(B) starts at b + j
        parallel_for(n, kGemmGrain, [&](std::int64_t lo, std::int64_t hi) {
            onednn_sgemm(d, ta, tb, m, hi - lo, k, a, lda, b + lo, ldb, beta, c + lo, ldc);
        });
        return true;
    }
    return false;
}

}  // namespace

void gemm(bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k, const float* a, std::int64_t lda,
          const float* b, std::int64_t ldb, float beta, float* c, std::int64_t ldc) {
    if (m == 0 || n == 0 || (k == 0 && beta == 1.0f)) return;
    if (const OneDnn* d = f32_onednn()) {
        const double flops = 2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
        if (flops >= kSplitFlops && num_threads() > 1 && split_sgemm(*d, ta, tb, m, n, k, a, lda, b, ldb, beta, c, ldc))
            return;
        return onednn_sgemm(*d, ta, tb, m, n, k, a, lda, b, ldb, beta, c, ldc);
    }
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, static_cast<int>(m),
                static_cast<int>(n), static_cast<int>(k), 1.0f, a, static_cast<int>(lda), b, static_cast<int>(ldb),
                beta, c, static_cast<int>(ldc));
}

void gemm(bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k, const double* a, std::int64_t lda,
          const double* b, std::int64_t ldb, double beta, double* c, std::int64_t ldc) {
    if (m == 0 || n == 0 || (k == 0 && beta == 1.0)) return;
    prepare_gemm();
    cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, static_cast<int>(m),
                static_cast<int>(n), static_cast<int>(k), 1.0, a, static_cast<int>(lda), b, static_cast<int>(ldb), beta,
                c, static_cast<int>(ldc));
}

}  // namespace tapegrad::detail
