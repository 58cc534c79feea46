// Data-parallel training across processes and machines, on MPI (the tapegrad::distributed
// component; this header exists only in builds that found MPI).
//
//     dist::Context ctx(argc, argv);                         // MPI up (or adopted)
//     auto [begin, end] = dist::shard(n_items, ctx);         // this rank's share of the data
//     dist::broadcast_parameters(model.parameters(), ctx);   // rank 0's starting values everywhere
//     dist::DataParallel ddp(model.parameters(), ctx);
//     for (...) { opt.zero_grad(); loss.backward(); ddp.synchronize(); opt.step(); tape.clear(); }
//
// DataParallel follows PyTorch's DistributedDataParallel: gradients are grouped into buckets
// (parameters in reverse order, as backward produces them) and each bucket is all-reduced with a
// non-blocking MPI call as soon as the reverse sweep has finished every gradient in it (a
// Tape entry hook), so communication overlaps the rest of backward; synchronize() waits for what
// is in flight and reduces the rest. docs/DISTRIBUTED.md has the details.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tapegrad/nn/module.hpp"
#include "tapegrad/optim.hpp"
#include "tapegrad/tensor.hpp"
#include "tapegrad/value.hpp"

namespace tapegrad::dist {

/// MPI for this process: the world's ranks, through a communicator of tapegrad's own.
class Context {
public:
    /// Initialises MPI (MPI_Init_thread, serialized) unless the program already did; in that case
    /// the Context adopts it and leaves finalising to the program.
    Context(int& argc, char**& argv);
    Context();
    ~Context();  ///< finalises MPI only if this Context initialised it
    Context(const Context&) = delete;
    Context& operator=(const Context&) = delete;

    int rank() const { return rank_; }
    int size() const { return size_; }
    bool owns_mpi() const { return owns_; }
    /// The MPI_Comm (a duplicate of MPI_COMM_WORLD), as an opaque pointer to an MPI_Comm.
    void* native_handle() const;
    /// Waits until every rank has called it.
    void barrier() const;

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
    int rank_ = 0, size_ = 1;
    bool owns_ = false;
};

/// What an all-reduce combines ranks' values into.
enum class Reduce : std::uint8_t {
    sum,   ///< the sum over ranks
    mean,  ///< the sum divided by the number of ranks
};

/// Rank `rank`'s contiguous share [begin, end) of n_items among `size` ranks: shares differ in
/// size by at most one, lower ranks take the larger ones, and together they cover [0, n_items).
std::pair<std::size_t, std::size_t> shard(std::size_t n_items, int rank, int size);
std::pair<std::size_t, std::size_t> shard(std::size_t n_items, const Context& ctx);

/// Sets every parameter to root 0's value. Checks first that every rank has the same parameters
/// (count, and each one's dtype and shape); if not, raises Error on every rank naming what differs.
void broadcast_parameters(const std::vector<Tensor>& params, const Context& ctx);
void broadcast_parameters(const std::vector<Value>& params, const Context& ctx);

/// In place: every rank's tensor becomes the sum (or mean) over ranks. The tensor must be a leaf
/// (from a factory, or a grad) with the same dtype and shape on every rank, else Error.
void all_reduce(Tensor& tensor, const Context& ctx, Reduce reduce = Reduce::sum);
/// In place: every rank's tensor becomes root's.
void broadcast(Tensor& tensor, const Context& ctx, int root = 0);

/// A checkpoint to resume from: the model's parameters and the optimizer's state (step count,
/// momentum, Adam's moments) in one file. Rank 0 writes it atomically (tapegrad::save: a
/// temporary file renamed over `path`), so a job killed at any moment leaves the last complete
/// one; every rank returns once it is written. A collective.
void save_checkpoint(const nn::Module& model, const optim::Optimizer& opt, const std::string& path, const Context& ctx);
/// Rank 0 reads `path` and sends it to every rank (no shared file system needed); every rank
/// loads it into its model and optimizer. Errors (a missing file, another architecture) are
/// raised on every rank, and then nothing has changed. A collective.
void load_checkpoint(nn::Module& model, optim::Optimizer& opt, const std::string& path, const Context& ctx);

struct DataParallelOptions {
    std::size_t bucket_bytes = std::size_t{1} << 18;  ///< a bucket closes once it holds this much
    Reduce reduce = Reduce::mean;
    bool overlap = true;  ///< all-reduce buckets during backward (else all in synchronize())
    /// When every rank runs on one machine, reduce through an MPI-3 shared-memory window instead
    /// of MPI_Iallreduce (docs/DISTRIBUTED.md, "One machine"). The environment variable
    /// TAPEGRAD_DIST_SHARED_MEMORY=0 turns it off too; off on any rank means off on all.
    bool shared_memory = true;
};

/// Figures for the last synchronize() and in total.
struct DataParallelStats {
    std::size_t buckets = 0;
    std::size_t bytes_per_step = 0;  ///< gradient bytes all-reduced by one synchronize()
    std::size_t steps = 0;           ///< synchronize() calls
    std::size_t launched_early = 0;  ///< buckets of the last step sent during backward
    std::size_t rereduced = 0;       ///< buckets sent early that changed afterwards (in total)
    /// The last step's time waiting for other ranks: for MPI in synchronize(), or, on one machine,
    /// for the other ranks' copies (in synchronize(), or in the hook for the previous step's reads).
    double last_wait_seconds = 0.0;
    double wait_seconds = 0.0;   ///< the same, all steps
    double sync_seconds = 0.0;   ///< all synchronize() calls' time in total
    double hook_seconds = 0.0;   ///< time in the sweep's hook: packing, sending, MPI progress, waits
    bool shared_memory = false;  ///< reducing through shared memory (DataParallelOptions)
};

/// Averages (or sums) gradients over ranks after each backward. Construction checks, on every
/// rank, that the ranks' parameters agree (Error naming what differs otherwise).
class DataParallel {
public:
    DataParallel(const std::vector<Tensor>& params, const Context& ctx, DataParallelOptions options = {});
    DataParallel(const std::vector<Value>& params, const Context& ctx, DataParallelOptions options = {});
    ~DataParallel();
    DataParallel(const DataParallel&) = delete;
    DataParallel& operator=(const DataParallel&) = delete;

    /// Every parameter's grad becomes the mean (or sum) over ranks of the ranks' grads. Call it
    /// after backward on every rank, the same number of times.
    void synchronize();
    const DataParallelStats& stats() const;
    const DataParallelOptions& options() const;

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace tapegrad::dist
