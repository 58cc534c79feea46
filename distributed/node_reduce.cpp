// NodeReduce: one machine's all-reduce through an MPI-3 shared-memory window (node_reduce.hpp).
#include "node_reduce.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

#include "detail.hpp"

namespace tapegrad::dist::detail {

// A rank's counters, after its segment, each on a cache line of its own so that one rank's
// spinning never slows another's writes.
struct NodeReduce::Control {
    alignas(64) std::uint64_t ready;  // the last step whose gradients the segment holds
    alignas(64) std::uint64_t done;   // the last step whose share this rank has written everywhere
};

namespace {

constexpr std::size_t kLine = 64;
std::size_t round_up(std::size_t n) { return (n + kLine - 1) / kLine * kLine; }

std::atomic_ref<std::uint64_t> word(std::uint64_t& w) { return std::atomic_ref<std::uint64_t>(w); }

// Spins briefly (a peer is usually microseconds away), then yields: ranks may outnumber cores.
void wait_until(std::uint64_t& w, std::uint64_t at_least) {
    for (int spins = 0; word(w).load(std::memory_order_acquire) < at_least; ++spins) {
        if (spins < 2000) {
#if defined(__x86_64__) || defined(__i386__)
            __builtin_ia32_pause();
#endif
        } else {
            std::this_thread::yield();
        }
    }
}

}  // namespace

std::unique_ptr<NodeReduce> NodeReduce::make(MPI_Comm comm, std::size_t bytes, bool wanted) {
    int size = 1, rank = 0;
    MPI_Comm_size(comm, &size);
    MPI_Comm_rank(comm, &rank);
    MPI_Comm node = MPI_COMM_NULL;
    check_mpi(MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &node), "dist::DataParallel");
    int node_size = 0;
    MPI_Comm_size(node, &node_size);
    // Every rank learns whether all of them share one machine and want this, so that all decide alike.
    int local = node_size == size && size > 1 && wanted ? 1 : 0, all_local = 0;
    check_mpi(MPI_Allreduce(&local, &all_local, 1, MPI_INT, MPI_MIN, comm), "dist::DataParallel");
    if (all_local == 0) {
        MPI_Comm_free(&node);
        return nullptr;
    }
    std::unique_ptr<NodeReduce> r(new NodeReduce);
    r->rank_ = rank;
    r->size_ = size;
    r->bytes_ = round_up(bytes);
    MPI_Info info = MPI_INFO_NULL;
    MPI_Info_create(&info);
    MPI_Info_set(info, "alloc_shared_noncontig", "true");  // each segment on its own pages
    void* base = nullptr;
    // kLine more than needed: MPI promises no alignment, and each segment is used from its first
    // cache-line boundary on (Control is aligned to one, and the sums vectorise better).
    const int rc = MPI_Win_allocate_shared(static_cast<MPI_Aint>(r->bytes_ + sizeof(Control) + kLine), 1, info, comm,
                                           &base, &r->window_);
    MPI_Info_free(&info);
    MPI_Comm_free(&node);
    // The same on every rank (a collective), so a failure falls back everywhere alike.
    int ok = rc == MPI_SUCCESS ? 1 : 0, all_ok = 0;
    check_mpi(MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_MIN, comm), "dist::DataParallel");
    if (all_ok == 0) {
        if (r->window_ != MPI_WIN_NULL) MPI_Win_free(&r->window_);
        return nullptr;
    }
    for (int k = 0; k < size; ++k) {
        MPI_Aint segment_bytes = 0;
        int unit = 0;
        void* at = nullptr;
        check_mpi(MPI_Win_shared_query(r->window_, k, &segment_bytes, &unit, &at), "dist::DataParallel");
        const auto address = reinterpret_cast<std::uintptr_t>(at);
        r->segments_.push_back(static_cast<unsigned char*>(at) + (kLine - address % kLine) % kLine);
    }
    *r->control(rank) = Control{};
    check_mpi(MPI_Win_lock_all(MPI_MODE_NOCHECK, r->window_), "dist::DataParallel");
    check_mpi(MPI_Barrier(comm), "dist::DataParallel");  // every rank's counters are zero
    return r;
}

NodeReduce::~NodeReduce() {
    if (window_ == MPI_WIN_NULL) return;
    MPI_Win_unlock_all(window_);
    MPI_Win_free(&window_);  // a collective: every rank's DataParallel goes at once
}

NodeReduce::Control* NodeReduce::control(int rank) const {
    return reinterpret_cast<Control*>(segments_[static_cast<std::size_t>(rank)] + bytes_);
}

void NodeReduce::arrive_and_wait(std::uint64_t Control::*counter) {
    word(control(rank_)->*counter).store(step_, std::memory_order_release);
    const auto start = Clock::now();
    for (int k = 0; k < size_; ++k) wait_until(control(k)->*counter, step_);
    waited_ += seconds_since(start);
}

void NodeReduce::gather() {
    ++step_;
    arrive_and_wait(&Control::ready);
}

template <class T> void NodeReduce::reduce_share(std::size_t byte_offset, std::size_t count, T divisor) const {
    const auto n = static_cast<std::size_t>(size_), r = static_cast<std::size_t>(rank_);
    const std::size_t begin = count * r / n, end = count * (r + 1) / n;
    const auto at = [&](std::size_t k) { return reinterpret_cast<T*>(segments_[k] + byte_offset); };
    if (n == 2) {  // the common case in one pass
        T* __restrict a = at(0);
        T* __restrict b = at(1);
        for (std::size_t i = begin; i < end; ++i) a[i] = b[i] = (a[i] + b[i]) / divisor;
        return;
    }
    T* __restrict first = at(0);
    for (std::size_t i = begin; i < end; ++i) {  // in rank order, so that every share sums alike
        T acc = first[i];
        for (std::size_t k = 1; k < n; ++k) acc += at(k)[i];
        acc /= divisor;
        for (std::size_t k = 0; k < n; ++k) at(k)[i] = acc;
    }
}
template void NodeReduce::reduce_share<float>(std::size_t, std::size_t, float) const;
template void NodeReduce::reduce_share<double>(std::size_t, std::size_t, double) const;

void NodeReduce::scatter_done() { arrive_and_wait(&Control::done); }

}  // namespace tapegrad::dist::detail
