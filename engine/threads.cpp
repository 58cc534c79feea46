// A small fixed pool of worker threads for the tensor kernels, started on first use.
#include "tapegrad/threads.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <cblas.h>

#include "tapegrad/detail/tensor_loops.hpp"
#include "tapegrad/error.hpp"

#include "fp_control.hpp"

namespace tapegrad {

namespace {

int initial_threads() {
    if (const char* env = std::getenv("TAPEGRAD_NUM_THREADS")) {
        const int n = std::atoi(env);
        if (n >= 1) return n;
    }
    const unsigned hw = std::thread::hardware_concurrency();
    return hw == 0 ? 1 : static_cast<int>(hw);
}

// Workers wait for a job; a job is fn(ctx, begin, end) over `parts` equal parts of [0, n). The
// caller and the workers each claim parts until none is left, so a worker that is slow to wake
// only means the caller does more of them; which thread runs a part never changes its result.
// Workers run a part under the caller's floating-point control word (so a backward kernel flushes
// subnormals on every thread) and restore their own after it. One job at a time (a mutex
// serialises callers from several threads).
//
// Waiting: a worker spins (with a pause instruction) for kSpin after its last part before it
// sleeps on a futex, and the caller spins as long for the last part to finish. A job that
// follows another within kSpin (the products of one training step) so starts in well under a
// microsecond instead of the tens a wake-up from sleep costs.
class Workers {
public:
    explicit Workers(int n) : threads_(n) { openblas_set_num_threads(n); }
    ~Workers() { stop(); }

    int count() const { return threads_; }
    void set(int n) {
        std::lock_guard<std::mutex> job(job_mutex_);
        stop();
        threads_ = n;
        openblas_set_num_threads(n);
    }

    void run(std::int64_t n, int parts, void (*fn)(void*, std::int64_t, std::int64_t), void* ctx) {
        std::lock_guard<std::mutex> job(job_mutex_);
        start(threads_ - 1);
        fn_ = fn;
        ctx_ = ctx;
        n_ = n;
        control_ = detail::control_word();
        done_.store(0, std::memory_order_relaxed);
        const std::uint32_t round = round_.load(std::memory_order_relaxed) + 1;
        ticket_.store(std::uint64_t{round} << 32 | static_cast<std::uint64_t>(parts) << 16, std::memory_order_release);
        round_.store(round, std::memory_order_release);
        round_.notify_all();  // a system call only when some worker sleeps
        work(round, false);
        // The last parts may be running on workers: wait for them.
        const auto p = static_cast<std::uint32_t>(parts);
        if (!spin_until([&] { return done_.load(std::memory_order_acquire) == p; }))
            for (std::uint32_t d; (d = done_.load(std::memory_order_acquire)) != p;) done_.wait(d);
    }

private:
    static constexpr auto kSpin = std::chrono::microseconds(100);

    // Claims and runs parts of the current job (round `round`) until none is left.
    void work(std::uint32_t round, bool worker) {
        std::uint64_t t = ticket_.load(std::memory_order_acquire);
        for (;;) {
            const auto parts = static_cast<std::int64_t>((t >> 16) & 0xffff),
                       part = static_cast<std::int64_t>(t & 0xffff);
            if ((t >> 32) != round || part >= parts) return;
            if (!ticket_.compare_exchange_weak(t, t + 1, std::memory_order_acq_rel, std::memory_order_acquire))
                continue;
            const std::int64_t b = n_ * part / parts, e = n_ * (part + 1) / parts;
            if (worker) {
                const detail::ControlWordScope caller_mode(control_);
                fn_(ctx_, b, e);
            } else {
                fn_(ctx_, b, e);
            }
            if (done_.fetch_add(1, std::memory_order_acq_rel) + 1 == static_cast<std::uint32_t>(parts))
                done_.notify_one();  // a system call only when the caller sleeps
            t = ticket_.load(std::memory_order_acquire);
        }
    }

    // Spins until ready() or kSpin has passed; whether ready() held.
    template <class Ready> static bool spin_until(Ready&& ready) {
        const auto until = std::chrono::steady_clock::now() + kSpin;
        for (;;) {
            for (int i = 0; i < 32; ++i) {
                if (ready()) return true;
                pause();
            }
            if (std::chrono::steady_clock::now() >= until) return ready();
        }
    }
    static void pause() {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#elif defined(__aarch64__)
        __asm__ __volatile__("yield");
#endif
    }

    void start(int workers) {
        while (static_cast<int>(pool_.size()) < workers) pool_.emplace_back([this] { loop(); });
    }
    void stop() {
        quit_.store(true, std::memory_order_relaxed);
        round_.fetch_add(1, std::memory_order_release);
        round_.notify_all();
        for (std::thread& t : pool_) t.join();
        pool_.clear();
        quit_.store(false, std::memory_order_relaxed);
    }
    void loop() {
        std::uint32_t seen = round_.load(std::memory_order_acquire);
        for (;;) {
            if (quit_.load(std::memory_order_relaxed)) return;
            work(seen, true);
            if (!spin_until([&] { return round_.load(std::memory_order_acquire) != seen; })) round_.wait(seen);
            seen = round_.load(std::memory_order_acquire);
        }
    }

    int threads_;
    std::mutex job_mutex_;
    std::vector<std::thread> pool_;
    // The current job, written by run() before it publishes the ticket.
    void (*fn_)(void*, std::int64_t, std::int64_t) = nullptr;
    void* ctx_ = nullptr;
    std::int64_t n_ = 0;
    detail::ControlWord control_ = 0;  // the caller's
    // round (32 bits) | parts (16) | parts claimed (16): a worker claims a part of the round it
    // was woken for, or none.
    std::atomic<std::uint64_t> ticket_{0};
    std::atomic<std::uint32_t> round_{0};  // bumped per job (and to stop): what workers wait on
    std::atomic<std::uint32_t> done_{0};   // parts finished
    std::atomic<bool> quit_{false};
};

Workers& workers() {
    static Workers w(initial_threads());
    return w;
}

}  // namespace

void set_num_threads(int n) {
    if (n < 1) throw Error("set_num_threads: need at least 1 thread, got " + std::to_string(n));
    workers().set(n);
}

int num_threads() { return workers().count(); }

namespace detail {

void parallel_for_impl(std::int64_t n, std::int64_t grain, void (*fn)(void*, std::int64_t, std::int64_t), void* ctx) {
    if (grain > 0 && n < 2 * grain) {  // too small to split: no look at the workers at all
        fn(ctx, 0, n);
        return;
    }
    Workers& w = workers();
    std::int64_t parts = w.count();
    if (grain > 0 && n / grain < parts) parts = n / grain;
    if (parts > 0xffff) parts = 0xffff;  // the ticket's field
    if (parts <= 1) {
        fn(ctx, 0, n);
        return;
    }
    w.run(n, static_cast<int>(parts), fn, ctx);
}

}  // namespace detail

}  // namespace tapegrad
