// The all-reduce DataParallel uses when every rank runs on one machine. Each rank's gradients
// live in its own segment of an MPI-3 shared-memory window (a tensor's grad buffer is moved
// there; Values' grads are copied in). After backward, each rank sums its share of the elements
// over every rank's segment, in rank order, and writes the result into that share of every
// segment. That reads and writes each element once, with no messages and no copies in or out:
// docs/DISTRIBUTED.md, "One machine". Ranks on several machines use MPI_Iallreduce instead.
//
// Two counters per rank in the window keep the ranks in step: `ready` (my segment holds this
// step's gradients) and `done` (I have written my share everywhere). Between `done` of one step
// and `ready` of the next no rank touches another's segment, so backward writes its own freely.
#pragma once

#include <mpi.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace tapegrad::dist::detail {

class NodeReduce {
public:
    // A collective over comm. Null unless comm has two ranks or more, every one of them shares
    // this machine's memory and passes `wanted`, and the window could be made. `bytes`: each
    // rank's segment.
    static std::unique_ptr<NodeReduce> make(MPI_Comm comm, std::size_t bytes, bool wanted);
    ~NodeReduce();
    NodeReduce(const NodeReduce&) = delete;
    NodeReduce& operator=(const NodeReduce&) = delete;

    // This rank's segment.
    unsigned char* mine() const { return segments_[static_cast<std::size_t>(rank_)]; }
    // mine() holds this step's gradients; waits until every rank's segment does.
    void gather();
    // After gather(): for this rank's share of `count` elements of type T at byte_offset, every
    // segment gets (the sum over ranks, in rank order) / divisor.
    template <class T> void reduce_share(std::size_t byte_offset, std::size_t count, T divisor) const;
    // This rank's shares are written; waits until every rank's are.
    void scatter_done();
    // The seconds gather() and scatter_done() have spent waiting for other ranks, in total.
    double waited() const { return waited_; }

private:
    NodeReduce() = default;
    struct Control;
    Control* control(int rank) const;
    // Sets this rank's `counter` to the current step and waits until every rank's has it.
    void arrive_and_wait(std::uint64_t Control::*counter);

    MPI_Win window_ = MPI_WIN_NULL;
    int rank_ = 0, size_ = 1;
    std::vector<unsigned char*> segments_;  // every rank's, mapped here
    std::size_t bytes_ = 0;                 // of each segment, before its counters
    std::uint64_t step_ = 0;
    double waited_ = 0.0;
};

}  // namespace tapegrad::dist::detail
