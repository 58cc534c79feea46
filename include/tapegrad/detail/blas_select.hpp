// The GEMM kernel choice of include/tapegrad/blas.hpp as a pure function, so that tests can hold
// it against CPUs this machine is not. Internal.
#pragma once

#include <string>
#include <string_view>

namespace tapegrad::detail {

enum class Isa { sse = 1, avx = 2, avx2 = 3, avx512 = 4 };
const char* isa_name(Isa isa);

struct CpuId {
    std::string vendor;  // "GenuineIntel", "AuthenticAMD", ...
    std::string brand;   // the model name
    int family = 0, model = 0;
    Isa isa = Isa::sse;
};
CpuId read_cpu();  // this machine's

// The ISA level of an OpenBLAS core name ("Prescott" sse, "Sandybridge" avx, "Haswell" and "Zen"
// avx2, "SkylakeX" avx512).
Isa core_isa(std::string_view core);

struct CoreChoice {
    std::string core;  // the core to run: the detected one, or a correction
    std::string reason;
};
// detected: OpenBLAS's own choice; user_set: OPENBLAS_CORETYPE or TAPEGRAD_OPENBLAS_CORE=keep.
CoreChoice choose_core(const CpuId& cpu, std::string_view detected, bool user_set);

// Run before any GEMM (detail::gemm calls it); makes the choice once. Cheap after the first call.
void prepare_gemm();

// Float32 products: on oneDNN's sgemm where it is installed and the CPU has AVX-512 (measured on
// an AMD EPYC Zen 5: 227-247 GFLOP/s against OpenBLAS's 116 on the Haswell kernels that machine
// must run), or where TAPEGRAD_GEMM=onednn asks; on OpenBLAS otherwise (on AVX2 CPUs OpenBLAS
// is the faster) or where TAPEGRAD_GEMM=openblas asks. requested: TAPEGRAD_GEMM's value or "".
struct GemmChoice {
    bool onednn;
    std::string reason;
};
GemmChoice choose_f32_gemm(const CpuId& cpu, bool onednn_installed, std::string_view requested);
struct OneDnn;
const OneDnn* f32_onednn();  // after prepare_gemm(): oneDNN if float32 products run on it, else null

// Re-runs OpenBLAS's kernel selection as if OPENBLAS_CORETYPE were `core`, then checks products
// against a plain loop; on a mismatch (or if this OpenBLAS cannot switch) it restores the previous
// core and returns false. For prepare_gemm and tests.
bool switch_openblas_core(const std::string& core);
std::string openblas_core();  // the core OpenBLAS runs now

}  // namespace tapegrad::detail
