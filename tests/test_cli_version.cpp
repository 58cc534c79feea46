// `tapegrad --version` says where it runs: the CPU, the GEMM kernels and how they were chosen,
// and the flush-denormal setting; a CPU running kernels below its ISA gets one warning.
#ifdef TAPEGRAD_CLI_PATH
#include <sys/wait.h>

#include <cstdio>
#include <string>

#include <doctest/doctest.h>

#include <tapegrad/blas.hpp>

namespace {
std::string output_of(const std::string& env, const std::string& args) {
    const std::string cmd = env + " '" + TAPEGRAD_CLI_PATH + "' " + args + " 2>&1";
    FILE* p = ::popen(cmd.c_str(), "r");
    REQUIRE(p != nullptr);
    std::string out;
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    CHECK(::pclose(p) == 0);
    return out;
}
}  // namespace

TEST_CASE("tapegrad --version names the CPU, the GEMM kernels and the flush setting") {
    const std::string out = output_of("", "--version");
    const tapegrad::BlasInfo info = tapegrad::blas_info();
    CHECK(out.find("tapegrad 0.") == 0);
    CHECK(out.find("cpu: " + info.cpu) != std::string::npos);
    CHECK(out.find("gemm: " + info.kernel + " kernels") != std::string::npos);
    CHECK(out.find("flush-denormal in backward: on") != std::string::npos);
}

TEST_CASE("an OPENBLAS_CORETYPE from the environment is kept, and kernels below the CPU are warned about once") {
    const std::string out = output_of("OPENBLAS_CORETYPE=Prescott TAPEGRAD_LOG=warn", "--version");
    CHECK(out.find("gemm: Prescott kernels, as set in the environment") != std::string::npos);
    const std::string isa = tapegrad::blas_info().cpu_isa;
    if (isa != "sse") {
        const std::string warning = "GEMM: OpenBLAS runs its Prescott kernels (as set in the environment); this CPU supports " + isa;
        CHECK(out.find(warning) != std::string::npos);
        CHECK(out.find(warning) == out.rfind(warning));
    }
}
#endif
