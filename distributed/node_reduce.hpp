// The all-reduce DataParallel uses when every rank runs on one machine: each rank copies its
// gradients into its own segment of an MPI-3 shared-memory window, and once every rank has done
// so, each reads all the segments and sums them itself, in rank order. That is one copy in and
// one summing read per rank, with no messages: on two ranks it takes about half the time of
// MPI_Allreduce plus the copy out (docs/DISTRIBUTED.md, "One machine"). Ranks on several
// machines use MPI_Iallreduce instead.
//
// The ranks keep in step through two counters per rank in the window: `ready` (my segment holds
// this step's gradients) and `done` (I have finished reading everyone's segments for this step).
// A rank writes its segment for step t only once every rank is done with step t-1.
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
    // this machine's memory and passes `wanted`, and the window could be made. `bytes`: the
    // segment each rank writes.
    static std::unique_ptr<NodeReduce> make(MPI_Comm comm, std::size_t bytes, bool wanted);
    ~NodeReduce();
    NodeReduce(const NodeReduce&) = delete;
    NodeReduce& operator=(const NodeReduce&) = delete;

    // This rank's segment, to write into after begin_step().
    unsigned char* mine() const { return segments_[static_cast<std::size_t>(rank_)]; }
    // Waits until every rank has finished reading the previous step (once per step; later calls
    // return at once). Before the first write into mine() in a step.
    void begin_step();
    // The seconds begin_step() and wait_all() have spent waiting for other ranks, in total.
    double waited() const { return waited_; }
    // mine() holds this step's gradients; `flag` is shared with every rank (any_flag()).
    void arrive(bool flag);
    // Waits for every rank's arrive().
    void wait_all();
    // After wait_all(): whether any rank arrived with its flag set.
    bool any_flag() const;
    // After wait_all(): g[i] = (sum over ranks, in rank order, of segment[offset + i] as T) /
    // divisor, where g holds this rank's own values on entry (those it put in its segment).
    template <class T> void sum(std::size_t byte_offset, std::size_t count, T divisor, T* g) const;
    // This rank has read what it needs from every segment: the step is over.
    void end_step();

private:
    NodeReduce() = default;
    struct Control;
    Control* control(int rank) const;

    MPI_Win window_ = MPI_WIN_NULL;
    int rank_ = 0, size_ = 1;
    std::vector<unsigned char*> segments_;  // every rank's, mapped here
    std::size_t bytes_ = 0;                 // of each segment, before its control words
    std::uint64_t step_ = 0;                // steps begun
    bool begun_ = false;
    double waited_ = 0.0;
};

}  // namespace tapegrad::dist::detail
