// `tapegrad --version` says where it runs: the CPU, the GEMM kernels and how they were chosen,
// and the flush-denormal setting; a CPU running kernels below its ISA gets one warning.
#include "cli_run.hpp"
#ifdef TAPEGRAD_CLI_PATH
#include <cstdlib>
#include <string>

#include <tapegrad/blas.hpp>

namespace {
// Sets an environment variable for the scope's life (the command inherits it), then restores it.
struct EnvVar {
    const char* name;
    bool had;
    std::string saved;
    EnvVar(const char* n, const char* value)
        : name(n), had(std::getenv(n) != nullptr), saved(had ? std::getenv(n) : "") {
        ::setenv(name, value, 1);
    }
    ~EnvVar() {
        if (had) ::setenv(name, saved.c_str(), 1);
        else ::unsetenv(name);
    }
};
}  // namespace

TEST_CASE("tapegrad --version names the CPU, the GEMM kernels and the flush setting") {
    const Run r = run("--version");
    CHECK(r.status == 0);
    const std::string& out = r.out;
    const tapegrad::BlasInfo info = tapegrad::blas_info();
    CHECK(out.find("tapegrad 0.") == 0);
    CHECK(out.find("cpu: " + info.cpu) != std::string::npos);
    CHECK(out.find("gemm: " + info.kernel + " kernels") != std::string::npos);
    CHECK(out.find("flush-denormal in backward: on") != std::string::npos);
}

TEST_CASE("an OPENBLAS_CORETYPE from the environment is kept, and kernels below the CPU are warned about once") {
    const EnvVar log("TAPEGRAD_LOG", "warn"), core("OPENBLAS_CORETYPE", "Prescott");
    const Run r = run("--version");
    CHECK(r.status == 0);
    const std::string& out = r.out;
    CHECK(out.find("gemm: Prescott kernels, as set in the environment") != std::string::npos);
    const std::string isa = tapegrad::blas_info().cpu_isa;
    if (isa != "sse") {
        const std::string warning =
            "GEMM: OpenBLAS runs its Prescott kernels (as set in the environment); this CPU supports " + isa;
        CHECK(out.find(warning) != std::string::npos);
        CHECK(out.find(warning) == out.rfind(warning));
    }
}
#endif
