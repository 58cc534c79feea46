// DataParallel: bucketed gradient all-reduces, started from the reverse sweep as buckets finish.
//
// Note [when a bucket is ready]. A parameter's grad is final once the sweep has run the last
// (lowest-index) entry that adds to it. The tape does not say which entries touch which
// parameters, so the first step learns it: the entry hook compares every parameter's grad with
// a snapshot after each entry and notes the entry after which it last changed. From then on a
// bucket is sent as soon as the hook reports an entry at or below its parameters' earliest such
// entry. Buckets are always sent in the same order (0, 1, ...), so every rank issues the same
// collectives in the same order whatever its timing. A graph that changes between steps could
// make a bucket change after it was sent: synchronize() checks every early bucket against the
// grads it now finds, the ranks agree (one small all-reduce) on which buckets went stale, those
// are reduced again, and the schedule is learned anew. Results never depend on the timing.
//
// Ranks that all run on one machine reduce through shared memory instead (node_reduce.hpp): the
// tensors' grads live in this rank's segment of the window for the DataParallel's lifetime (so
// backward writes them there), Values' grads are copied in and out, and synchronize() reduces
// the segments in place. Nothing is sent early, so nothing can go stale.
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <limits>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "detail.hpp"
#include "node_reduce.hpp"
#include "tapegrad/detail/tensor_impl.hpp"
#include "tapegrad/error.hpp"
#include "tapegrad/log.hpp"
#include "tapegrad/value.hpp"

namespace tapegrad::dist {

namespace {
using detail::Clock;
using detail::seconds_since;

struct Param {
    tapegrad::detail::TensorImpl* tensor = nullptr;  // or
    tapegrad::detail::Node* node = nullptr;          // a scalar Value's
    std::size_t numel = 1, bucket = 0, offset = 0;   // offset in elements within its bucket
    long last_entry = -1;                            // Note [when a bucket is ready]
    std::size_t bytes(std::size_t elem) const { return numel * elem; }
    void* grad() const { return tensor != nullptr ? tensor->grad_buffer() : &node->grad; }
};

struct Bucket {
    DType dtype = DType::f64;
    std::vector<std::size_t> params;
    std::size_t numel = 0;
    std::size_t segment_offset = 0;  // in bytes, in this rank's shared-memory segment
    std::vector<unsigned char> send, recv;
    MPI_Request request = MPI_REQUEST_NULL;
    bool sent = false, early = false;
    bool direct = false;            // sent from the parameter's grad itself, not a packed copy
    std::size_t hooks_at_send = 0;  // the hook calls made when it was sent
    long ready_entry = -1;          // sent once the hook reports an entry <= this; -1: in synchronize()
};
}  // namespace

struct DataParallel::Impl {
    const Context& ctx;
    MPI_Comm comm;
    DataParallelOptions options;
    std::vector<Tensor> tensors;  // keep the leaves alive
    std::vector<Param> params;
    std::vector<Bucket> buckets;
    std::unique_ptr<detail::NodeReduce> shared;  // one machine: reduce through shared memory
    std::size_t next = 0;                        // the next bucket to send
    std::size_t hooks = 0;                       // hook calls so far
    bool learning = false;                       // this step learns the schedule
    bool scheduled = false;                      // a schedule is in use (the same on every rank)
    std::vector<unsigned char> snapshot;         // learning: the grads as last seen
    Tape* tape = nullptr;
    Tape::EntryHook previous_hook = nullptr;
    void* previous_context = nullptr;
    DataParallelStats stats;

    Impl(const Context& c, DataParallelOptions o) : ctx(c), comm(detail::comm_of(c)), options(o) {}

    std::size_t elem(const Bucket& b) const { return dtype_size(b.dtype); }

    void make_buckets(const std::vector<DType>& dtypes) {
        // Reverse order: backward finishes the last-used parameters first.
        for (std::size_t k = params.size(); k-- > 0;) {
            Param& p = params[k];
            const std::size_t bytes = p.numel * dtype_size(dtypes[k]);
            if (buckets.empty() || buckets.back().dtype != dtypes[k] ||
                (buckets.back().numel * dtype_size(dtypes[k]) + bytes > options.bucket_bytes &&
                 buckets.back().numel > 0)) {
                buckets.emplace_back();
                buckets.back().dtype = dtypes[k];
            }
            Bucket& b = buckets.back();
            p.bucket = buckets.size() - 1;
            p.offset = b.numel;
            b.params.push_back(k);
            b.numel += p.numel;
        }
        std::size_t segment_bytes = 0;
        for (Bucket& b : buckets) {
            b.segment_offset = segment_bytes;
            segment_bytes += (b.numel * elem(b) + 63) / 64 * 64;  // each bucket on cache lines of its own
        }
        // Collective: every rank decides alike whether the ranks share one machine's memory.
        const char* env = std::getenv("TAPEGRAD_DIST_SHARED_MEMORY");
        const bool wanted = options.shared_memory && !(env != nullptr && std::strcmp(env, "0") == 0);
        if (ctx.size() > 1) shared = detail::NodeReduce::make(comm, segment_bytes, wanted);
        for (Bucket& b : buckets) {
            if (!shared) {
                b.send.resize(b.numel * elem(b));
                b.recv.resize(b.numel * elem(b));
            }
            stats.bytes_per_step += b.numel * elem(b);
        }
        stats.shared_memory = shared != nullptr;
        if (shared) move_grads(true);
        stats.buckets = buckets.size();
        logger().debug("dist::DataParallel: {} parameters in {} buckets, {} bytes a step", params.size(),
                       buckets.size(), stats.bytes_per_step);
    }

    // A parameter's place in this rank's shared-memory segment.
    unsigned char* in_segment(const Param& p) const {
        const Bucket& b = buckets[p.bucket];
        return shared->mine() + b.segment_offset + p.offset * elem(b);
    }
    // One machine: moves each tensor's grad into this rank's segment (`into`), or back into its
    // own buffer before the window goes. The values move with it; Tensor::grad()'s leaf follows.
    void move_grads(bool into) {
        for (Param& p : params) {
            if (p.tensor == nullptr) continue;
            tapegrad::detail::TensorImpl* t = p.tensor;
            t->grad_buffer();  // a leaf's own grad storage, kept for the way back
            void* to = into ? static_cast<void*>(in_segment(p)) : t->grad_storage->data;
            if (to == t->grad) continue;
            std::memcpy(to, t->grad, t->bytes());
            t->grad = to;
            if (t->grad_leaf != nullptr) t->grad_leaf->data = to;
        }
    }
    void pack(Bucket& b) {
        const std::size_t e = elem(b);
        for (std::size_t k : b.params)
            std::memcpy(b.send.data() + params[k].offset * e, params[k].grad(), params[k].bytes(e));
    }
    // `last`: the sweep has run its last entry (entry 0), so nothing more of it can change a
    // tensor's grad (scalar nodes never write into tensors): a one-parameter bucket may then be
    // sent straight from the grad, with no copy to check it against later; synchronize() then
    // counts it stale only if another sweep ran since.
    void send(std::size_t i, bool early, bool last = false) {
        Bucket& b = buckets[i];
        b.direct = last && b.params.size() == 1;
        b.hooks_at_send = hooks;
        const void* from = b.send.data();
        if (b.direct) from = params[b.params[0]].grad();
        else pack(b);
        detail::check_mpi(MPI_Iallreduce(from, b.recv.data(), static_cast<int>(b.numel), detail::mpi_type(b.dtype),
                                         MPI_SUM, comm, &b.request),
                          "dist::DataParallel");
        b.sent = true;
        b.early = early;
    }
    void unpack(Bucket& b) {
        const double n = options.reduce == Reduce::mean ? ctx.size() : 1.0;
        tapegrad::detail::dispatch(b.dtype, [&]<class T>() {
            const T* r = reinterpret_cast<const T*>(b.recv.data());
            const T divisor = static_cast<T>(n);
            for (std::size_t k : b.params) {
                T* g = static_cast<T*>(params[k].grad());
                const T* src = r + params[k].offset;
                if (options.reduce == Reduce::mean)
                    for (std::size_t j = 0; j < params[k].numel; ++j) g[j] = src[j] / divisor;
                else std::memcpy(g, src, params[k].numel * sizeof(T));
            }
        });
    }
    bool changed_since_sent(const Bucket& b) {
        const std::size_t e = elem(b);
        for (std::size_t k : b.params)
            if (std::memcmp(b.send.data() + params[k].offset * e, params[k].grad(), params[k].bytes(e)) != 0)
                return true;
        return false;
    }

    void take_snapshot() {
        std::size_t total = 0;
        for (const Bucket& b : buckets) total += b.numel * elem(b);
        snapshot.resize(total);
        std::size_t at = 0;
        for (Bucket& b : buckets)
            for (std::size_t k : b.params) {
                const std::size_t n = params[k].bytes(elem(b));
                std::memcpy(snapshot.data() + at, params[k].grad(), n);
                at += n;
            }
        for (Param& p : params) p.last_entry = -1;
        learning = true;
    }

    void learn(std::size_t entry) {
        std::size_t at = 0;
        for (Bucket& b : buckets)
            for (std::size_t k : b.params) {
                const std::size_t n = params[k].bytes(elem(b));
                const void* g = params[k].grad();
                if (std::memcmp(snapshot.data() + at, g, n) != 0) {
                    std::memcpy(snapshot.data() + at, g, n);
                    params[k].last_entry = static_cast<long>(entry);
                }
                at += n;
            }
    }

    void schedule() {
        long earlier = 0;  // a bucket waits for the ones before it
        for (std::size_t i = 0; i < buckets.size(); ++i) {
            long ready = std::numeric_limits<long>::max();
            for (std::size_t k : buckets[i].params) ready = std::min(ready, params[k].last_entry);
            if (i > 0) ready = std::min(ready, earlier);
            buckets[i].ready_entry = ready;
            earlier = ready;
        }
        learning = false;
        scheduled = true;
    }

    static void on_entry(void* context, std::size_t entry) {
        auto* self = static_cast<Impl*>(context);
        ++self->hooks;
        if (self->previous_hook != nullptr) self->previous_hook(self->previous_context, entry);
        if (self->learning) return self->learn(entry);
        if (!self->scheduled) return;
        const auto start = Clock::now();
        const long k = static_cast<long>(entry);
        while (self->next < self->buckets.size() && self->buckets[self->next].ready_entry >= k)
            self->send(self->next++, true, entry == 0);
        for (std::size_t i = 0; i < self->next; ++i) {  // let MPI move what is in flight
            if (self->buckets[i].request == MPI_REQUEST_NULL) continue;
            int done = 0;
            MPI_Test(&self->buckets[i].request, &done, MPI_STATUS_IGNORE);
        }
        self->stats.hook_seconds += seconds_since(start);
    }

    void synchronize() {
        if (ctx.size() == 1) {  // one rank: the sum and the mean are the grads themselves
            ++stats.steps;
            return;
        }
        if (shared) return synchronize_on_node();
        const auto start = Clock::now();
        const bool was_learning = learning;
        for (; next < buckets.size(); ++next) send(next, false);
        std::size_t early = 0;
        const auto wait_start = Clock::now();
        for (Bucket& b : buckets) {
            detail::check_mpi(MPI_Wait(&b.request, MPI_STATUS_IGNORE), "dist::DataParallel::synchronize");
            early += b.early;
        }
        double wait = seconds_since(wait_start);
        if (scheduled) {  // Note [when a bucket is ready]: did an early bucket change after it went?
            std::vector<int> stale(buckets.size(), 0);
            for (std::size_t i = 0; i < buckets.size(); ++i) {
                const Bucket& b = buckets[i];
                stale[i] = b.early && (b.direct ? hooks != b.hooks_at_send : changed_since_sent(b));
            }
            const auto t = Clock::now();
            detail::check_mpi(
                MPI_Allreduce(MPI_IN_PLACE, stale.data(), static_cast<int>(stale.size()), MPI_INT, MPI_MAX, comm),
                "dist::DataParallel::synchronize");
            bool any = false;
            for (std::size_t i = 0; i < buckets.size(); ++i) {
                if (!stale[i]) continue;
                any = true;
                ++stats.rereduced;
                pack(buckets[i]);
                detail::check_mpi(
                    MPI_Allreduce(buckets[i].send.data(), buckets[i].recv.data(), static_cast<int>(buckets[i].numel),
                                  detail::mpi_type(buckets[i].dtype), MPI_SUM, comm),
                    "dist::DataParallel::synchronize");
            }
            wait += seconds_since(t);
            if (any) {
                logger().debug("dist::DataParallel: gradients changed after their bucket was sent; learning anew");
                scheduled = false;
            }
        }
        for (Bucket& b : buckets) unpack(b);
        end_step(was_learning, early, wait, start);
    }

    // One machine: Values' grads are copied into the segment (tensors' are there already); once
    // every rank's segment holds its grads, each rank reduces its share of every bucket into every
    // segment, and once all have, each segment holds the result.
    void synchronize_on_node() {
        const auto start = Clock::now();
        const double waited = shared->waited();
        for (const Param& p : params)
            if (p.node != nullptr) std::memcpy(in_segment(p), &p.node->grad, sizeof(double));
        shared->gather();
        const double n = options.reduce == Reduce::mean ? ctx.size() : 1.0;
        for (const Bucket& b : buckets)
            tapegrad::detail::dispatch(
                b.dtype, [&]<class T>() { shared->reduce_share<T>(b.segment_offset, b.numel, static_cast<T>(n)); });
        shared->scatter_done();
        for (const Param& p : params)
            if (p.node != nullptr) std::memcpy(&p.node->grad, in_segment(p), sizeof(double));
        end_step(false, 0, shared->waited() - waited, start);
    }

    void end_step(bool was_learning, std::size_t early, double wait, Clock::time_point start) {
        for (Bucket& b : buckets) b.sent = b.early = b.direct = false;
        next = 0;
        if (was_learning) schedule();
        if (options.overlap && tape != nullptr && !scheduled) take_snapshot();
        stats.launched_early = early;
        stats.last_wait_seconds = wait;
        stats.wait_seconds += wait;
        stats.sync_seconds += seconds_since(start);
        ++stats.steps;
    }

    void install_hook() {
        if (!options.overlap || ctx.size() == 1 || shared) return;
        tape = &Tape::current();
        previous_hook = tape->entry_hook();
        previous_context = tape->entry_hook_context();
        tape->set_entry_hook(&Impl::on_entry, this);
        take_snapshot();
    }
    ~Impl() {
        if (shared) move_grads(false);
        for (Bucket& b : buckets)
            if (b.request != MPI_REQUEST_NULL) MPI_Wait(&b.request, MPI_STATUS_IGNORE);
        if (tape != nullptr && tape->entry_hook() == &Impl::on_entry && tape->entry_hook_context() == this)
            tape->set_entry_hook(previous_hook, previous_context);
    }
};

DataParallel::DataParallel(const std::vector<Tensor>& params, const Context& ctx, DataParallelOptions options)
    : impl_(std::make_unique<Impl>(ctx, options)) {
    const char* op = "dist::DataParallel";
    if (options.bucket_bytes == 0) throw Error(fmt::format("{}: bucket_bytes must be positive", op));
    const std::vector<detail::ParamDesc> descs = detail::describe(params, op);
    for (std::size_t i = 0; i < params.size(); ++i)
        if (!params[i].requires_grad()) throw Error(fmt::format("{}: parameter {} does not require grad", op, i));
    detail::check_same_params(op, detail::Kind::tensor, descs, ctx);
    impl_->tensors = params;
    std::vector<DType> dtypes;
    for (const Tensor& t : params) {
        Param p;
        p.tensor = tapegrad::detail::impl_of(t, op);
        p.numel = static_cast<std::size_t>(p.tensor->numel);
        impl_->params.push_back(p);
        dtypes.push_back(t.dtype());
    }
    impl_->make_buckets(dtypes);
    impl_->install_hook();
}

DataParallel::DataParallel(const std::vector<Value>& params, const Context& ctx, DataParallelOptions options)
    : impl_(std::make_unique<Impl>(ctx, options)) {
    const char* op = "dist::DataParallel";
    if (options.bucket_bytes == 0) throw Error(fmt::format("{}: bucket_bytes must be positive", op));
    for (std::size_t i = 0; i < params.size(); ++i)
        if (!params[i].is_parameter())
            throw Error(fmt::format("{}: value {} is not a parameter (Value::parameter)", op, i));
    detail::check_same_params(op, detail::Kind::value, std::vector<detail::ParamDesc>(params.size()), ctx);
    for (const Value& v : params) {
        Param p;
        p.node = tapegrad::detail::ValueAccess::node(v);
        impl_->params.push_back(p);
    }
    impl_->make_buckets(std::vector<DType>(params.size(), DType::f64));
    // Scalar sweeps have no entries to hook into: buckets are all sent in synchronize().
}

DataParallel::~DataParallel() = default;

void DataParallel::synchronize() { impl_->synchronize(); }
const DataParallelStats& DataParallel::stats() const { return impl_->stats; }
const DataParallelOptions& DataParallel::options() const { return impl_->options; }

}  // namespace tapegrad::dist
