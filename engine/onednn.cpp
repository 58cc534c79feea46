// oneDNN's sgemm, loaded at run time: only a process that runs it on an AVX-512 CPU pays for
// loading it (and the OpenMP runtime it brings), and a machine without it still runs tapegrad on
// OpenBLAS alone.
#include <dlfcn.h>

#include <spdlog/spdlog.h>
#include "tapegrad/detail/gemm.hpp"

#include "tapegrad/log.hpp"

namespace tapegrad::detail {

namespace {
struct DnnlVersion {
    int major, minor, patch;
};

OneDnn* load() {
    void* lib = dlopen("libdnnl.so.2", RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) return nullptr;
    // Its OpenMP runtime, for the thread count of each call (one: tapegrad splits the work itself).
    void* omp = dlopen("libgomp.so.1", RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD);
    auto* version = reinterpret_cast<const DnnlVersion* (*)()>(dlsym(lib, "dnnl_version"));
    auto* d = new OneDnn{};
    d->sgemm = reinterpret_cast<OneDnn::Sgemm>(dlsym(lib, "dnnl_sgemm"));
    if (omp != nullptr) {
        d->omp_get_max_threads = reinterpret_cast<int (*)()>(dlsym(omp, "omp_get_max_threads"));
        d->omp_set_num_threads = reinterpret_cast<void (*)(int)>(dlsym(omp, "omp_set_num_threads"));
    }
    if (d->sgemm == nullptr || version == nullptr ||
        (d->omp_get_max_threads == nullptr) != (d->omp_set_num_threads == nullptr)) {
        logger().info("GEMM: libdnnl.so.2 found but not usable (missing symbols); staying on OpenBLAS");
        delete d;
        return nullptr;
    }
    const DnnlVersion* v = version();
    d->major = v->major;
    d->minor = v->minor;
    d->patch = v->patch;
    return d;  // kept for the process's lifetime, as the library it points into
}
}  // namespace

const OneDnn* onednn() {
    static const OneDnn* instance = load();
    return instance;
}

}  // namespace tapegrad::detail
