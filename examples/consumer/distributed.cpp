// A data-parallel program against the installed tapegrad::distributed: run it with mpirun.
// Each rank's grad of sum(w * (rank + 1)) is rank + 1; DataParallel leaves their mean everywhere.
#include <cstdio>
#include <vector>

#include <tapegrad/distributed.hpp>
#include <tapegrad/tapegrad.hpp>

namespace dist = tapegrad::dist;
using tapegrad::Tensor;

int main(int argc, char** argv) {
    dist::Context ctx(argc, argv);
    Tensor w = Tensor::full({3}, ctx.rank() == 0 ? 0.5 : -1.0, tapegrad::DType::f64, true);
    dist::broadcast_parameters({w}, ctx);
    dist::DataParallel ddp({w}, ctx);
    (w * (ctx.rank() + 1.0)).sum().backward();
    ddp.synchronize();
    const double expected = (ctx.size() + 1) / 2.0;
    const bool ok = w.grad().to_vector() == std::vector<double>(3, expected) && w.to_vector()[0] == 0.5;
    if (ctx.rank() == 0)
        std::printf("distributed: %d ranks, mean grad %g (expected %g)\n", ctx.size(), w.grad().to_vector()[0],
                    expected);
    tapegrad::Tape::current().clear();
    return ok ? 0 : 1;
}
