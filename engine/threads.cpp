// A small fixed pool of worker threads for the tensor kernels, started on first use.
#include "tapegrad/threads.hpp"

#include <condition_variable>
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

// Workers wait for a job; a job is fn(ctx, begin, end) over `parts` equal parts of [0, n),
// part 0 run by the caller. Workers run a job under the caller's floating-point control word
// (so a backward kernel flushes subnormals on every thread) and restore their own after it.
// One job at a time (a mutex serialises callers from several threads).
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
        {
            std::lock_guard<std::mutex> lock(mutex_);
            fn_ = fn;
            ctx_ = ctx;
            n_ = n;
            parts_ = parts;
            control_ = detail::control_word();
            pending_ = parts - 1;
            ++round_;
        }
        wake_.notify_all();
        fn(ctx, 0, n / parts);
        std::unique_lock<std::mutex> lock(mutex_);
        done_.wait(lock, [&] { return pending_ == 0; });
    }

private:
    void start(int workers) {
        std::uint64_t now;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            now = round_;  // a new worker waits for the next job, not the last one
        }
        while (static_cast<int>(pool_.size()) < workers) {
            const int part = static_cast<int>(pool_.size()) + 1;
            pool_.emplace_back([this, part, now] { loop(part, now); });
        }
    }
    void stop() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            quit_ = true;
        }
        wake_.notify_all();
        for (std::thread& t : pool_) t.join();
        pool_.clear();
        quit_ = false;
    }
    void loop(int part, std::uint64_t seen) {
        for (;;) {
            std::unique_lock<std::mutex> lock(mutex_);
            wake_.wait(lock, [&] { return quit_ || round_ != seen; });
            if (quit_) return;
            seen = round_;
            if (part >= parts_) continue;
            auto* fn = fn_;
            void* ctx = ctx_;
            const std::int64_t b = n_ * part / parts_, e = n_ * (part + 1) / parts_;
            const detail::ControlWord control = control_;
            lock.unlock();
            {
                const detail::ControlWordScope caller_mode(control);
                fn(ctx, b, e);
            }
            lock.lock();
            if (--pending_ == 0) done_.notify_one();
        }
    }

    int threads_;
    std::mutex job_mutex_;
    std::mutex mutex_;
    std::condition_variable wake_, done_;
    std::vector<std::thread> pool_;
    void (*fn_)(void*, std::int64_t, std::int64_t) = nullptr;
    void* ctx_ = nullptr;
    std::int64_t n_ = 0;
    int parts_ = 1;
    detail::ControlWord control_ = 0;  // the caller's, for the current job
    int pending_ = 0;
    std::uint64_t round_ = 0;
    bool quit_ = false;
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
    if (parts <= 1) {
        fn(ctx, 0, n);
        return;
    }
    w.run(n, static_cast<int>(parts), fn, ctx);
}

}  // namespace detail

}  // namespace tapegrad
