// The MPI tests' main: every rank runs every test case; the job fails if any rank fails.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include "common.hpp"

namespace {
tapegrad::dist::Context* the_context = nullptr;
}

tapegrad::dist::Context& test_context() { return *the_context; }

int main(int argc, char** argv) {
    tapegrad::dist::Context ctx(argc, argv);
    the_context = &ctx;
    doctest::Context tests(argc, argv);
    if (ctx.rank() != 0) tests.setOption("success", false), tests.setOption("minimal", true);
    const int failed = tests.run() != 0 ? 1 : 0;
    int any = failed;
    MPI_Allreduce(&failed, &any, 1, MPI_INT, MPI_MAX, *static_cast<MPI_Comm*>(ctx.native_handle()));
    return any;
}
