// Which GEMM the tensor engine runs on this machine, and why.
//
// Float32 products run on oneDNN's sgemm where it is installed (Debian: libdnnl2) and the CPU
// has AVX-512: oneDNN picks its kernels from the CPU's features, and on an AMD EPYC Zen 5 it
// reaches twice OpenBLAS's float32 speed there (OpenBLAS must run its AVX2 kernels on that CPU).
// TAPEGRAD_GEMM=openblas or TAPEGRAD_GEMM=onednn overrides the choice. Its products are checked
// against a plain loop first, as below. Everything else goes through OpenBLAS.
//
// Tensor matmul goes through OpenBLAS. Its run-time CPU detection does not know every x86-64
// CPU: Debian 12's OpenBLAS 0.3.21 takes an Emerald Rapids Xeon for a Prescott and runs SSE3
// kernels, 5x slower than the AVX-512 ones the CPU has. So before the first GEMM tapegrad reads
// the CPU's features (cpuid) and, if OpenBLAS picked kernels below them, re-runs OpenBLAS's own
// kernel selection with the right core type, checks a few products against a plain loop, and
// goes back to OpenBLAS's choice if they disagree. The choice is made on the machine that runs
// the program, never the one that built it. It is left alone when OPENBLAS_CORETYPE is set (the
// user has chosen) or TAPEGRAD_OPENBLAS_CORE=keep. On AMD CPUs it goes no higher than AVX2
// (Haswell/Zen kernels): 0.3.21's AVX-512 kernels are not trusted there.
//
// The correction applies to the whole process's OpenBLAS, so it happens once, at the first
// matmul or the first blas_info() call; a program that calls OpenBLAS from other threads at that
// moment should call blas_info() first.
#pragma once

#include <string>

namespace tapegrad {

struct BlasInfo {
    std::string backend;     // "OpenBLAS 0.3.21 DYNAMIC_ARCH ..." (the library's own config string)
    std::string kernel;      // the kernels in use: OpenBLAS's core name ("Haswell", "SkylakeX")
    std::string cpu;         // "Intel(R) Xeon(R) ... (family 6, model 207)"
    std::string cpu_isa;     // the widest vector ISA the CPU and OS support: avx512, avx2, avx, sse
    std::string choice;      // how the kernel was chosen, e.g. "corrected from Prescott"
    bool below_cpu = false;  // the OpenBLAS kernels use less of the CPU than it supports
    std::string f32_gemm;    // what float32 products run on: "oneDNN 2.6.3 sgemm" or "OpenBLAS Haswell kernels"
    std::string f32_choice;  // and why
    std::string f64_gemm;    // what float64 products run on (OpenBLAS: oneDNN has no f64 GEMM)
};

// Makes the choice above if it has not been made yet, then describes it.
BlasInfo blas_info();

// The CPU's model name, family and model, e.g. "AMD EPYC (family 23, model 49)".
std::string cpu_description();

}  // namespace tapegrad
