// D1 (WORKLOADS.md): T2's network data-parallel under mpirun, batch 128 per rank (weak scaling),
// one thread per rank. Rank 0 prints one line of key=value figures:
//   ranks, step_ms (median of 30 after 5 warm-up, overlapped), step_ms_no_overlap, bytes_step
//   (gradient bytes all-reduced a step), wait_ms (a step's median wait for MPI in synchronize,
//   overlapped), wait_ms_no_overlap (the same with every bucket sent in synchronize: the whole
//   communication), hidden (1 - wait_ms / wait_ms_no_overlap), hook_ms (a step's time in the
//   sweep's hook: packing and sending buckets, MPI progress), comm_ms (a step's time in the hook
//   and in synchronize(), waiting included: all of communication the rank's own thread sees),
//   work_ms (comm_ms less the waits: copying, summing, checking, MPI's own work),
//   reduce (shared_memory: ranks on one machine sum each other's copies in an MPI-3 window,
//   where nothing runs beside the sweep, so hidden is 0 by definition; messages:
//   MPI_Iallreduce, also with TAPEGRAD_DIST_SHARED_MEMORY=0), loss.
//   mpirun -np 2 build/bench/tapegrad_bench_distributed [--quick] [--bucket-bytes N]
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <vector>

#include <tapegrad/distributed.hpp>
#include <tapegrad/tapegrad.hpp>

#include "tensor_workloads.hpp"

namespace tapegrad::bench {
bool quick() { return false; }
}  // namespace tapegrad::bench

using namespace tapegrad;
using namespace tapegrad::bench;

namespace {
struct Figures {
    double step_ms, wait_ms, loss, work_ms, hook_ms, comm_ms;
    std::size_t bytes, buckets, early;
    bool shared_memory;
};

Figures run(const dist::Context& ctx, dist::DataParallelOptions options, int warmup, int steps) {
    std::vector<Tensor> params;
    for (int l = 0; l < 3; ++l) {
        const std::vector<float> w = t2_weights(l), b = t2_bias(l);
        params.push_back(
            Tensor::from(std::span<const float>(w), Shape{kT2Sizes[l], kT2Sizes[l + 1]}, DType::f32, true));
        params.push_back(Tensor::from(std::span<const float>(b), Shape{kT2Sizes[l + 1]}, DType::f32, true));
    }
    // Each rank its own batch of 128 (weak scaling).
    const std::vector<float> xv =
        fixed_uniform(static_cast<std::size_t>(kT2Batch) * 784, 1.0f, 7 + static_cast<std::uint32_t>(ctx.rank()));
    const Tensor x = Tensor::from(std::span<const float>(xv), Shape{kT2Batch, 784}, DType::f32, false);
    const std::vector<std::int64_t> labels = fixed_labels(kT2Batch, 8 + static_cast<std::uint32_t>(ctx.rank()));
    dist::broadcast_parameters(params, ctx);
    dist::DataParallel ddp(params, ctx, options);
    std::vector<double> ms, wait, hook, comm, work;
    double loss = 0;
    for (int s = 0; s < warmup + steps; ++s) {
        const auto t = Clock::now();
        const dist::DataParallelStats before = ddp.stats();
        Tensor h = x;
        for (int l = 0; l < 3; ++l) {
            h = h.matmul(params[2 * l]) + params[2 * l + 1];
            if (l < 2) h = h.relu();
        }
        Tensor out = nn::cross_entropy(h, labels);
        out.backward();
        ddp.synchronize();
        loss = out.item();
        {
            NoGrad guard;
            for (Tensor& p : params) {
                p.add_(p.grad(), -kT2Lr);
                p.zero_grad();
            }
        }
        Tape::current().clear();
        if (s >= warmup) {
            ms.push_back(seconds_since(t) * 1e3);
            const dist::DataParallelStats& now = ddp.stats();
            const double step_hook = (now.hook_seconds - before.hook_seconds) * 1e3;
            const double step_comm = step_hook + (now.sync_seconds - before.sync_seconds) * 1e3;
            wait.push_back(now.last_wait_seconds * 1e3);
            hook.push_back(step_hook);
            comm.push_back(step_comm);
            work.push_back(step_comm - now.last_wait_seconds * 1e3);
        }
    }
    const dist::DataParallelStats& st = ddp.stats();
    return {median(ms),   median(wait),      loss,       median(work),      median(hook),
            median(comm), st.bytes_per_step, st.buckets, st.launched_early, st.shared_memory};
}
}  // namespace

int main(int argc, char** argv) {
    dist::Context ctx(argc, argv);
    set_num_threads(1);
    int warmup = kT2Warmup, steps = kT2Steps;
    dist::DataParallelOptions options;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--quick") == 0) warmup = 1, steps = 2;
        else if (std::strcmp(argv[i], "--bucket-bytes") == 0 && i + 1 < argc)
            options.bucket_bytes = std::strtoull(argv[++i], nullptr, 10);
    }
    dist::DataParallelOptions off = options;
    off.overlap = false;
    // Alternate the two settings so that both see the same machine load.
    Figures on = run(ctx, options, warmup, steps), no = run(ctx, off, warmup, steps);
    const Figures on2 = run(ctx, options, warmup, steps), no2 = run(ctx, off, warmup, steps);
    on.step_ms = std::min(on.step_ms, on2.step_ms);
    on.wait_ms = std::min(on.wait_ms, on2.wait_ms);
    no.step_ms = std::min(no.step_ms, no2.step_ms);
    no.wait_ms = std::min(no.wait_ms, no2.wait_ms);
    if (ctx.rank() == 0)
        std::printf(
            "ranks=%d step_ms=%.3f step_ms_no_overlap=%.3f bytes_step=%zu buckets=%zu early=%zu wait_ms=%.3f "
            "wait_ms_no_overlap=%.3f hidden=%.2f hook_ms=%.3f comm_ms=%.3f work_ms=%.3f reduce=%s loss=%.6f\n",
            ctx.size(), on.step_ms, no.step_ms, on.bytes, on.buckets, on.early, on.wait_ms, no.wait_ms,
            no.wait_ms > 0 && !on.shared_memory ? 1.0 - on.wait_ms / no.wait_ms : 0.0, on.hook_ms, on.comm_ms,
            on.work_ms,
            ctx.size() == 1    ? "none"
            : on.shared_memory ? "shared_memory"
                               : "messages",
            on.loss);
    return 0;
}
