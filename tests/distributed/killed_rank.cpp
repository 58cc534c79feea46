// A data-parallel job in which the last rank is killed (SIGKILL) at step 5, rank 0 having saved
// a checkpoint after every step: the launcher must end the job, the others must not hang, and
// the last checkpoint must be whole (tests/distributed/check_killed_rank.cmake).
//   killed_rank CHECKPOINT             the job (under mpiexec)
//   killed_rank --verify CHECKPOINT    loads it: exit 0 if it holds the model and step 5's state
#include <csignal>
#include <cstdio>
#include <cstring>

#include <tapegrad/distributed.hpp>
#include <tapegrad/tapegrad.hpp>

namespace dist = tapegrad::dist;
using tapegrad::Tensor;

int main(int argc, char** argv) {
    dist::Context ctx(argc, argv);
    if (argc < 2) return 2;
    const bool verify = std::strcmp(argv[1], "--verify") == 0;
    const std::string path = argv[verify ? 2 : 1];
    tapegrad::Generator gen(5);
    tapegrad::nn::Sequential model(tapegrad::nn::Linear(8, 16, true, tapegrad::DType::f32, gen), tapegrad::nn::Tanh(),
                                   tapegrad::nn::Linear(16, 2, true, tapegrad::DType::f32, gen));
    tapegrad::optim::SGD opt(model.parameters(), 0.01, 0.9);
    if (verify) {
        dist::load_checkpoint(model, opt, path, ctx);
        const bool ok = opt.steps() == 5 && opt.state().size() == 2 && opt.state()[1].name == "sgd.momentum";
        std::printf("killed_rank: checkpoint at step %zu with %zu optimizer arrays\n", opt.steps(), opt.state().size());
        return ok ? 0 : 1;
    }
    dist::broadcast_parameters(model.parameters(), ctx);
    dist::DataParallel ddp(model.parameters(), ctx);
    const Tensor x = Tensor::randn({4, 8});
    for (int step = 0; step < 100000; ++step) {
        if (step == 5 && ctx.rank() == ctx.size() - 1) std::raise(SIGKILL);
        opt.zero_grad();
        tapegrad::nn::cross_entropy(model(x), std::vector<std::int64_t>{0, 1, 0, 1}).backward();
        ddp.synchronize();
        opt.step();
        tapegrad::Tape::current().clear();
        dist::save_checkpoint(model, opt, path, ctx);
    }
    std::puts("killed_rank: the job outlived its killed rank");
    return 0;
}
