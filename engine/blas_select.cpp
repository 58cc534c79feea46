// Choosing OpenBLAS's kernels from the CPU that runs the program (include/tapegrad/blas.hpp).
#include "tapegrad/blas.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <cblas.h>
#include <spdlog/spdlog.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include "tapegrad/detail/blas_select.hpp"
#include "tapegrad/detail/gemm.hpp"
#include "tapegrad/log.hpp"

namespace tapegrad {
namespace detail {

const char* isa_name(Isa isa) {
    switch (isa) {
        case Isa::avx512: return "avx512";
        case Isa::avx2: return "avx2";
        case Isa::avx: return "avx";
        case Isa::sse: break;
    }
    return "sse";
}

#if defined(__x86_64__) || defined(__i386__)
namespace {
std::uint64_t xgetbv0() {
    std::uint32_t lo, hi;
    __asm__ __volatile__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (static_cast<std::uint64_t>(hi) << 32) | lo;
}
}  // namespace

CpuId read_cpu() {
    CpuId cpu;
    unsigned a, b, c, d;
    if (__get_cpuid(0, &a, &b, &c, &d) == 0) return cpu;
    const unsigned max_leaf = a;
    char vendor[13] = {};
    std::memcpy(vendor, &b, 4);
    std::memcpy(vendor + 4, &d, 4);
    std::memcpy(vendor + 8, &c, 4);
    cpu.vendor = vendor;

    __get_cpuid(1, &a, &b, &c, &d);
    const int base_family = (a >> 8) & 0xf, base_model = (a >> 4) & 0xf;
    cpu.family = base_family == 0xf ? base_family + ((a >> 20) & 0xff) : base_family;
    cpu.model = (base_family == 0x6 || base_family == 0xf) ? base_model + (((a >> 16) & 0xf) << 4) : base_model;
    const bool osxsave = (c >> 27) & 1, avx = (c >> 28) & 1, fma = (c >> 12) & 1;
    const std::uint64_t xcr0 = osxsave ? xgetbv0() : 0;
    const bool os_ymm = (xcr0 & 0x6) == 0x6, os_zmm = (xcr0 & 0xe6) == 0xe6;
    bool avx2 = false, avx512 = false;
    if (max_leaf >= 7) {
        __get_cpuid_count(7, 0, &a, &b, &c, &d);
        avx2 = (b >> 5) & 1;
        // F, DQ, CD, BW, VL: what OpenBLAS's SkylakeX kernels use.
        avx512 = ((b >> 16) & 1) && ((b >> 17) & 1) && ((b >> 28) & 1) && ((b >> 30) & 1) && ((b >> 31) & 1);
    }
    if (avx512 && avx2 && fma && os_zmm) cpu.isa = Isa::avx512;
    else if (avx2 && fma && os_ymm) cpu.isa = Isa::avx2;
    else if (avx && os_ymm) cpu.isa = Isa::avx;

    unsigned brand[12] = {};
    if (__get_cpuid(0x80000000, &a, &b, &c, &d) != 0 && a >= 0x80000004) {
        for (unsigned leaf = 0; leaf < 3; ++leaf)
            __get_cpuid(0x80000002 + leaf, &brand[4 * leaf], &brand[4 * leaf + 1], &brand[4 * leaf + 2],
                        &brand[4 * leaf + 3]);
        std::string name(reinterpret_cast<const char*>(brand), 48);
        name = name.c_str();  // up to the first NUL
        const auto first = name.find_first_not_of(' ');
        const auto last = name.find_last_not_of(' ');
        cpu.brand = first == std::string::npos ? "" : name.substr(first, last - first + 1);
    }
    return cpu;
}
#else
CpuId read_cpu() { return {}; }
#endif

Isa core_isa(std::string_view core) {
    std::string c(core);
    std::transform(c.begin(), c.end(), c.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    if (c == "skylakex" || c == "cooperlake" || c == "sapphirerapids") return Isa::avx512;
    if (c == "haswell" || c == "zen") return Isa::avx2;
    if (c == "sandybridge" || c == "bulldozer" || c == "piledriver" || c == "steamroller" || c == "excavator")
        return Isa::avx;
    return Isa::sse;
}

CoreChoice choose_core(const CpuId& cpu, std::string_view detected, bool user_set) {
    const std::string kept(detected);
    if (user_set) return {kept, "as set in the environment"};
    const bool amd = cpu.vendor == "AuthenticAMD" || cpu.vendor == "HygonGenuine";
    // 0.3.21's AVX-512 kernels misbehave on AMD's AVX-512 cores: AVX2 is the ceiling there.
    const Isa target = amd ? std::min(cpu.isa, Isa::avx2) : cpu.isa;
    if (core_isa(detected) >= target) return {kept, "as OpenBLAS detected it"};
    const char* core = target == Isa::avx512 ? "SkylakeX"
                       : target == Isa::avx2 ? (amd ? "Zen" : "Haswell")
                                             : "Sandybridge";
    return {core, "corrected from " + kept + " (OpenBLAS does not know this CPU)"};
}

namespace {

using DynamicInit = void (*)();  // OpenBLAS's gotoblas_dynamic_init and _quit

// A few products, transposed and not, against a plain loop in double: a kernel that computes
// wrong results on this CPU (or crashes) shows here, before any user's matmul runs on it.
template <class T, class Gemm> bool products_agree(Gemm gemm) {
    struct Case {
        int m, n, k;
        bool ta, tb;
    };
    const Case cases[] = {
        {67, 45, 51, false, false}, {19, 23, 17, true, false}, {33, 8, 129, false, true}, {5, 70, 3, true, true}};
    for (const Case& t : cases) {
        std::vector<T> a(static_cast<std::size_t>(t.m) * t.k), b(static_cast<std::size_t>(t.k) * t.n),
            c(static_cast<std::size_t>(t.m) * t.n);
        for (std::size_t i = 0; i < a.size(); ++i) a[i] = static_cast<T>(std::sin(0.37 * static_cast<double>(i) + 1.0));
        for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<T>(std::cos(0.21 * static_cast<double>(i) + 0.5));
        const int lda = t.ta ? t.m : t.k, ldb = t.tb ? t.k : t.n;
        gemm(t.ta, t.tb, t.m, t.n, t.k, a.data(), lda, b.data(), ldb, c.data());
        const double eps = sizeof(T) == 4 ? 1e-5 : 1e-13;
        for (int i = 0; i < t.m; ++i)
            for (int j = 0; j < t.n; ++j) {
                double s = 0, size = 0;
                for (int p = 0; p < t.k; ++p) {
                    const double x = a[t.ta ? p * t.m + i : i * t.k + p], y = b[t.tb ? j * t.k + p : p * t.n + j];
                    s += x * y;
                    size += std::fabs(x * y);
                }
                if (!(std::fabs(c[i * t.n + j] - s) <= eps * (size + 1))) return false;
            }
    }
    return true;
}

// OpenBLAS's products, for products_agree.
void openblas_product(bool ta, bool tb, int m, int n, int k, const float* a, int lda, const float* b, int ldb,
                      float* c) {
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, 1.0f, a, lda, b,
                ldb, 0.0f, c, n);
}
void openblas_product(bool ta, bool tb, int m, int n, int k, const double* a, int lda, const double* b, int ldb,
                      double* c) {
    cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, 1.0, a, lda, b,
                ldb, 0.0, c, n);
}
bool openblas_agrees() {
    return products_agree<float>([](auto... args) { openblas_product(args...); }) &&
           products_agree<double>([](auto... args) { openblas_product(args...); });
}
bool onednn_agrees(const OneDnn& d) {
    return products_agree<float>([&d](bool ta, bool tb, int m, int n, int k, const float* a, int lda, const float* b,
                                      int ldb,
                                      float* c) { onednn_sgemm(d, ta, tb, m, n, k, a, lda, b, ldb, 0.0f, c, n); });
}

// Re-run OpenBLAS's dynamic kernel selection under OPENBLAS_CORETYPE=core, leaving the process's
// environment as it was. Found with dlsym: an OpenBLAS built for one CPU has no such functions.
bool reselect(const std::string& core) {
    auto quit = reinterpret_cast<DynamicInit>(dlsym(RTLD_DEFAULT, "gotoblas_dynamic_quit"));
    auto init = reinterpret_cast<DynamicInit>(dlsym(RTLD_DEFAULT, "gotoblas_dynamic_init"));
    if (quit == nullptr || init == nullptr) return false;
    const char* before = std::getenv("OPENBLAS_CORETYPE");
    const std::string saved = before != nullptr ? before : "";
    setenv("OPENBLAS_CORETYPE", core.c_str(), 1);
    quit();
    init();
    if (before != nullptr) setenv("OPENBLAS_CORETYPE", saved.c_str(), 1);
    else unsetenv("OPENBLAS_CORETYPE");
    return true;
}

std::string describe(const CpuId& cpu) {
    const std::string name = cpu.brand.empty() ? (cpu.vendor.empty() ? "unknown CPU" : cpu.vendor) : cpu.brand;
    return name + " (family " + std::to_string(cpu.family) + ", model " + std::to_string(cpu.model) + ")";
}

struct Selection {
    CpuId cpu;
    std::string kernel, choice;
    const OneDnn* f32 = nullptr;  // float32 products on oneDNN's sgemm; null: on OpenBLAS
    std::string f32_choice;
};

Selection& selection() {
    static Selection s = [] {
        Selection made;
        made.cpu = read_cpu();
        const std::string detected = openblas_core();
        const char* keep = std::getenv("TAPEGRAD_OPENBLAS_CORE");
        const bool user_set =
            std::getenv("OPENBLAS_CORETYPE") != nullptr || (keep != nullptr && std::strcmp(keep, "keep") == 0);
        CoreChoice c = choose_core(made.cpu, detected, user_set);
        if (c.core != detected && !switch_openblas_core(c.core)) {
            logger().warn("GEMM: OpenBLAS could not switch from its {} kernels to {}; keeping {}", detected, c.core,
                          detected);
            c = {detected, "as OpenBLAS detected it (the correction to " + c.core + " failed its check)"};
        }
        made.kernel = openblas_core();
        made.choice = c.reason;
        logger().info("GEMM: OpenBLAS {} kernels, {}, on {}", made.kernel, made.choice, describe(made.cpu));
        const char* env = std::getenv("TAPEGRAD_GEMM");
        const std::string_view requested = env != nullptr ? env : "";
        // oneDNN is loaded only where it would be chosen if installed.
        const OneDnn* dnnl = choose_f32_gemm(made.cpu, true, requested).onednn ? onednn() : nullptr;
        GemmChoice f32 = choose_f32_gemm(made.cpu, dnnl != nullptr, requested);
        if (f32.onednn && !onednn_agrees(*dnnl)) {
            logger().warn("GEMM: oneDNN's sgemm failed its check on this CPU; float32 products stay on OpenBLAS");
            f32 = {false, "oneDNN's sgemm failed its check on this CPU"};
        }
        made.f32 = f32.onednn ? dnnl : nullptr;
        made.f32_choice = f32.reason;
        logger().info("GEMM: float32 on {} ({})", made.f32 != nullptr ? "oneDNN" : "OpenBLAS", made.f32_choice);
        if (core_isa(made.kernel) < made.cpu.isa)
            logger().warn("GEMM: OpenBLAS runs its {} kernels ({}); this CPU supports {}{}", made.kernel, made.choice,
                          isa_name(made.cpu.isa), made.f32 != nullptr ? " (float32 products run on oneDNN)" : "");
        return made;
    }();
    return s;
}

}  // namespace

std::string openblas_core() {
    const char* name = openblas_get_corename();
    return name != nullptr ? name : "unknown";
}

bool switch_openblas_core(const std::string& core) {
    const std::string before = openblas_core();
    if (core_isa(core) > read_cpu().isa) return false;  // its kernels would fault on this CPU
    if (!reselect(core)) return false;
    if (core_isa(openblas_core()) == core_isa(core) && openblas_agrees()) return true;
    reselect(before);
    return false;
}

void prepare_gemm() { (void)selection(); }

const OneDnn* f32_onednn() { return selection().f32; }

GemmChoice choose_f32_gemm(const CpuId& cpu, bool onednn_installed, std::string_view requested) {
    if (requested == "openblas") return {false, "as TAPEGRAD_GEMM=openblas asks"};
    if (!onednn_installed)
        return {false, requested == "onednn" ? "TAPEGRAD_GEMM=onednn, but libdnnl.so.2 is not installed"
                                             : "oneDNN (libdnnl.so.2) is not installed"};
    if (requested == "onednn") return {true, "as TAPEGRAD_GEMM=onednn asks"};
    if (cpu.isa >= Isa::avx512) return {true, "oneDNN's AVX-512 sgemm, for this CPU's AVX-512"};
    return {false, "OpenBLAS, the faster on CPUs without AVX-512"};
}

}  // namespace detail

std::string cpu_description() { return detail::describe(detail::read_cpu()); }

BlasInfo blas_info() {
    const detail::Selection& s = detail::selection();
    BlasInfo info;
    const char* config = openblas_get_config();
    info.backend = config != nullptr ? config : "OpenBLAS";
    while (!info.backend.empty() && std::isspace(static_cast<unsigned char>(info.backend.back())))
        info.backend.pop_back();
    info.kernel = detail::openblas_core();
    info.cpu = detail::describe(s.cpu);
    info.cpu_isa = detail::isa_name(s.cpu.isa);
    info.choice = s.choice;
    info.below_cpu = detail::core_isa(info.kernel) < s.cpu.isa;
    const std::string openblas = "OpenBLAS " + info.kernel + " kernels";
    if (s.f32 != nullptr)
        info.f32_gemm = "oneDNN " + std::to_string(s.f32->major) + "." + std::to_string(s.f32->minor) + "." +
                        std::to_string(s.f32->patch) + " sgemm";
    else info.f32_gemm = openblas;
    info.f32_choice = s.f32_choice;
    info.f64_gemm = openblas;
    return info;
}

}  // namespace tapegrad
