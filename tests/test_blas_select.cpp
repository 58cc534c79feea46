// The GEMM kernel choice (include/tapegrad/blas.hpp): the decision for the CPUs this kind of
// machine comes as, and OpenBLAS's kernel switch on this one.
#include <cmath>
#include <vector>

#include <doctest/doctest.h>

#include <tapegrad/detail/blas_select.hpp>
#include <tapegrad/tapegrad.hpp>

using tapegrad::detail::choose_core;
using tapegrad::detail::CpuId;
using tapegrad::detail::Isa;

namespace {
CpuId cpu(const char* vendor, int family, int model, Isa isa) { return CpuId{vendor, "test CPU", family, model, isa}; }

// C = A B in f32 through the tensor engine, against a plain loop.
double matmul_error() {
    const std::int64_t m = 37, k = 53, n = 29;
    std::vector<double> a(m * k), b(k * n);
    for (std::size_t i = 0; i < a.size(); ++i) a[i] = std::sin(0.1 * static_cast<double>(i));
    for (std::size_t i = 0; i < b.size(); ++i) b[i] = std::cos(0.3 * static_cast<double>(i));
    const auto c = tapegrad::Tensor::from(a, {m, k}).matmul(tapegrad::Tensor::from(b, {k, n})).to_vector();
    double worst = 0;
    for (std::int64_t i = 0; i < m; ++i)
        for (std::int64_t j = 0; j < n; ++j) {
            double s = 0;
            for (std::int64_t p = 0; p < k; ++p) s += a[i * k + p] * b[p * n + j];
            worst = std::max(worst, std::fabs(c[i * n + j] - s));
        }
    tapegrad::Tape::current().clear();
    return worst;
}
}  // namespace

TEST_CASE("blas: an AVX-512 Xeon that OpenBLAS takes for a Prescott gets the SkylakeX kernels") {
    const auto c = choose_core(cpu("GenuineIntel", 6, 207, Isa::avx512), "Prescott", false);
    CHECK(c.core == "SkylakeX");
    CHECK(c.reason.find("corrected from Prescott") != std::string::npos);
}

TEST_CASE("blas: OpenBLAS's own choice is kept when it matches the CPU or the user set one") {
    CHECK(choose_core(cpu("GenuineIntel", 6, 85, Isa::avx512), "SkylakeX", false).core == "SkylakeX");
    CHECK(choose_core(cpu("AuthenticAMD", 23, 49, Isa::avx2), "Zen", false).core == "Zen");
    // The Zen 5 hosts pin Haswell through OPENBLAS_CORETYPE: never overridden.
    const auto pinned = choose_core(cpu("AuthenticAMD", 26, 2, Isa::avx512), "Haswell", true);
    CHECK(pinned.core == "Haswell");
    CHECK(pinned.reason == "as set in the environment");
    CHECK(choose_core(cpu("GenuineIntel", 6, 207, Isa::avx512), "Prescott", true).core == "Prescott");
}

TEST_CASE("blas: on AMD the correction stops at AVX2") {
    // An AVX-512 Zen that OpenBLAS does not know, with nothing pinned: Zen kernels, not SkylakeX.
    CHECK(choose_core(cpu("AuthenticAMD", 26, 2, Isa::avx512), "Prescott", false).core == "Zen");
    CHECK(choose_core(cpu("AuthenticAMD", 26, 2, Isa::avx512), "Zen", false).core == "Zen");
    CHECK(choose_core(cpu("GenuineIntel", 6, 60, Isa::avx2), "Nehalem", false).core == "Haswell");
    CHECK(choose_core(cpu("GenuineIntel", 6, 42, Isa::avx), "Core2", false).core == "Sandybridge");
    CHECK(choose_core(cpu("GenuineIntel", 6, 15, Isa::sse), "Core2", false).core == "Core2");
}

TEST_CASE("blas: core names map to their ISA") {
    using tapegrad::detail::core_isa;
    CHECK(core_isa("SkylakeX") == Isa::avx512);
    CHECK(core_isa("COOPERLAKE") == Isa::avx512);
    CHECK(core_isa("Haswell") == Isa::avx2);
    CHECK(core_isa("Zen") == Isa::avx2);
    CHECK(core_isa("Sandybridge") == Isa::avx);
    CHECK(core_isa("Prescott") == Isa::sse);
}

TEST_CASE("blas: blas_info names the backend, the kernels and the CPU") {
    const tapegrad::BlasInfo info = tapegrad::blas_info();
    CHECK(info.backend.find("OpenBLAS") != std::string::npos);
    CHECK(info.kernel == tapegrad::detail::openblas_core());
    CHECK(info.cpu.find("family") != std::string::npos);
    CHECK(!info.choice.empty());
    const CpuId here = tapegrad::detail::read_cpu();
    CHECK(info.cpu_isa == tapegrad::detail::isa_name(here.isa));
#if defined(__x86_64__)
    CHECK(here.isa >= Isa::sse);
    CHECK(!here.vendor.empty());
#endif
}

TEST_CASE("blas: switching OpenBLAS's kernels at run time keeps products right, and refuses kernels the CPU lacks") {
    const std::string start = tapegrad::blas_info().kernel;
    CHECK(matmul_error() < 1e-4);
    REQUIRE(tapegrad::detail::switch_openblas_core("Prescott"));
    CHECK(tapegrad::detail::openblas_core() == "Prescott");
    CHECK(matmul_error() < 1e-4);
    if (tapegrad::detail::read_cpu().isa < Isa::avx512) {
        CHECK_FALSE(tapegrad::detail::switch_openblas_core("SkylakeX"));
        CHECK(tapegrad::detail::openblas_core() == "Prescott");
    }
    REQUIRE(tapegrad::detail::switch_openblas_core(start));
    CHECK(tapegrad::detail::openblas_core() == start);
    CHECK(matmul_error() < 1e-4);
}

TEST_CASE("blas: float32 products go to oneDNN on AVX-512 CPUs where it is installed, to OpenBLAS elsewhere") {
    using tapegrad::detail::choose_f32_gemm;
    const CpuId zen5 = cpu("AuthenticAMD", 26, 2, Isa::avx512), xeon = cpu("GenuineIntel", 6, 207, Isa::avx512);
    const CpuId zen2 = cpu("AuthenticAMD", 23, 49, Isa::avx2);
    CHECK(choose_f32_gemm(zen5, true, "").onednn);
    CHECK(choose_f32_gemm(xeon, true, "").onednn);
    CHECK_FALSE(choose_f32_gemm(zen2, true, "").onednn);
    CHECK_FALSE(choose_f32_gemm(zen5, false, "").onednn);
    CHECK(choose_f32_gemm(zen5, false, "").reason.find("not installed") != std::string::npos);
    CHECK_FALSE(choose_f32_gemm(zen5, true, "openblas").onednn);
    CHECK(choose_f32_gemm(zen2, true, "onednn").onednn);
    CHECK_FALSE(choose_f32_gemm(zen2, false, "onednn").onednn);
}

TEST_CASE("blas: a float32 product on oneDNN is bitwise the same on 1, 2 and 3 threads") {
    // tapegrad splits oneDNN's products over its threads by rows or columns of C, never along k.
    // (OpenBLAS's own threads may split differently: its results can differ in the last bits.)
    const bool onednn = tapegrad::blas_info().f32_gemm.rfind("oneDNN", 0) == 0;
    CHECK(matmul_error() < 1e-4);  // whichever library runs it
    if (!onednn) {
        MESSAGE("float32 products run on " << tapegrad::blas_info().f32_gemm << " here: nothing to check");
        return;
    }
    // Products large enough to be split (2 m n k >= 2^18 flops): T3's and T2's shapes (forward,
    // weight and input gradients) with each operand stored plain or transposed, split by rows; and
    // a product with too few rows, split by columns.
    const auto matrix = [](std::int64_t rows, std::int64_t cols, double f) {
        std::vector<double> v(static_cast<std::size_t>(rows * cols));
        for (std::size_t i = 0; i < v.size(); ++i) v[i] = std::sin(f * static_cast<double>(i) + 1.0);
        return tapegrad::Tensor::from(v, {rows, cols});
    };
    struct Mkn {
        std::int64_t m, k, n;
    };
    const Mkn shapes[] = {{512, 512, 512}, {128, 784, 256}, {128, 256, 128}, {128, 128, 10},  {784, 128, 256},
                          {256, 128, 128}, {128, 10, 128},  {128, 128, 256}, {128, 256, 784}, {40, 2048, 1024}};
    const int saved = tapegrad::num_threads();
    std::vector<std::vector<double>> results;
    for (int threads : {1, 2, 3}) {
        tapegrad::set_num_threads(threads);
        for (const Mkn& s : shapes) {
            const tapegrad::Tensor a = matrix(s.m, s.k, 0.37), b = matrix(s.k, s.n, 0.11);
            const tapegrad::Tensor at = matrix(s.k, s.m, 0.23).t(), bt = matrix(s.n, s.k, 0.19).t();
            for (const tapegrad::Tensor* x : {&a, &at})
                for (const tapegrad::Tensor* y : {&b, &bt}) results.push_back(x->matmul(*y).to_vector());
        }
        tapegrad::Tape::current().clear();
    }
    tapegrad::set_num_threads(saved);
    const std::size_t per_count = results.size() / 3;
    for (std::size_t r = per_count; r < results.size(); ++r) {
        CAPTURE(r);
        CHECK(results[r] == results[r % per_count]);
    }
}
