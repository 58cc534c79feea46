// A data-parallel job in which the last rank is killed (SIGKILL) at step 5: the launcher must end
// the job and the others must not hang (tests/distributed/check_killed_rank.cmake).
#include <csignal>
#include <cstdio>

#include <tapegrad/distributed.hpp>
#include <tapegrad/tapegrad.hpp>

namespace dist = tapegrad::dist;
using tapegrad::Tensor;

int main(int argc, char** argv) {
    dist::Context ctx(argc, argv);
    tapegrad::nn::Sequential model(tapegrad::nn::Linear(8, 16), tapegrad::nn::Tanh(), tapegrad::nn::Linear(16, 2));
    dist::broadcast_parameters(model.parameters(), ctx);
    dist::DataParallel ddp(model.parameters(), ctx);
    tapegrad::optim::SGD opt(model.parameters(), 0.01);
    const Tensor x = Tensor::randn({4, 8});
    for (int step = 0; step < 100000; ++step) {
        if (step == 5 && ctx.rank() == ctx.size() - 1) std::raise(SIGKILL);
        opt.zero_grad();
        tapegrad::nn::cross_entropy(model(x), std::vector<std::int64_t>{0, 1, 0, 1}).backward();
        ddp.synchronize();
        opt.step();
        tapegrad::Tape::current().clear();
    }
    std::puts("killed_rank: the job outlived its killed rank");
    return 0;
}
