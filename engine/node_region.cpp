// The node region (include/tapegrad/detail/node_region.hpp): an address range reserved once,
// committed as it is handed out, and carved into blocks by first fit. Blocks are few and large
// (a tape's node chunks, the parameter pool's blocks), so a map under one mutex does.
#include "tapegrad/detail/node_region.hpp"

#include <sys/mman.h>

#include <cstdint>
#include <iterator>
#include <map>
#include <mutex>
#include <unordered_map>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "tapegrad/error.hpp"
#include "tapegrad/log.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define TAPEGRAD_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TAPEGRAD_ASAN 1
#endif
#endif
#ifdef TAPEGRAD_ASAN
#include <sanitizer/asan_interface.h>
#endif
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#endif

namespace tapegrad::detail {

char* node_region_base = nullptr;

namespace {

constexpr std::size_t kMaxRegion = std::size_t{1} << 35;   // 2^32 slots of 8 bytes
constexpr std::size_t kMinRegion = std::size_t{1} << 25;   // a million nodes
constexpr std::size_t kBlockAlign = 64;                    // a cache line: nodes never straddle two blocks' lines
constexpr std::size_t kCommitStep = std::size_t{2} << 20;  // commit the range 2 MiB at a time
constexpr std::size_t kPage = 4096;

// Marks a block as handed out or returned, for the sanitizers and for valgrind: nodes in a free
// block must not be read.
void mark_allocated([[maybe_unused]] char* p, [[maybe_unused]] std::size_t n) {
#ifdef TAPEGRAD_ASAN
    ASAN_UNPOISON_MEMORY_REGION(p, n);
#endif
#ifdef VALGRIND_MAKE_MEM_UNDEFINED
    VALGRIND_MAKE_MEM_UNDEFINED(p, n);
#endif
}
void mark_free([[maybe_unused]] char* p, [[maybe_unused]] std::size_t n) {
#ifdef TAPEGRAD_ASAN
    ASAN_POISON_MEMORY_REGION(p, n);
#endif
#ifdef VALGRIND_MAKE_MEM_NOACCESS
    VALGRIND_MAKE_MEM_NOACCESS(p, n);
#endif
}

class Region {
public:
    Region() {
        // As large as the system lets the process reserve: address space only (PROT_NONE takes
        // no memory and no commit charge); pages are committed as blocks are handed out.
        for (std::size_t size = kMaxRegion; size >= kMinRegion; size /= 2) {
            void* p = mmap(nullptr, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
            if (p == MAP_FAILED) continue;
            begin_ = bump_ = committed_ = static_cast<char*>(p);
            end_ = begin_ + size;
            break;
        }
        if (begin_ == nullptr)
            throw Error(fmt::format("tape: could not reserve address space for nodes ({} MiB)", kMinRegion >> 20));
        node_region_base = begin_;
        logger().debug("node region: {} MiB of address space reserved", size() >> 20);
    }

    void* allocate(std::size_t bytes) {
        const std::size_t n = round_up(bytes == 0 ? 1 : bytes, kBlockAlign);
        std::lock_guard<std::mutex> lock(mutex_);
        char* p = take_free(n);
        if (p == nullptr) p = take_fresh(n);
        live_.emplace(p, n);
        in_use_ += n;
        mark_allocated(p, n);
        return p;
    }

    void free(void* block) noexcept {
        if (block == nullptr) return;
        std::lock_guard<std::mutex> lock(mutex_);
        const auto it = live_.find(static_cast<char*>(block));
        if (it == live_.end()) return;  // not ours: never happens for blocks from allocate()
        char* p = it->first;
        std::size_t n = it->second;
        live_.erase(it);
        in_use_ -= n;
        mark_free(p, n);
        // Join the free neighbours, then give whole pages back to the system.
        if (auto next = free_.find(p + n); next != free_.end()) {
            n += next->second;
            free_.erase(next);
        }
        if (auto next = free_.lower_bound(p); next != free_.begin()) {
            const auto prev = std::prev(next);
            if (prev->first + prev->second == p) {
                p = prev->first;
                n += prev->second;
                free_.erase(prev);
            }
        }
        if (p + n == bump_) {
            bump_ = p;  // the top block: the bump pointer takes it back
        } else {
            free_.emplace(p, n);
        }
        char* const lo = reinterpret_cast<char*>(round_up(reinterpret_cast<std::uintptr_t>(p), kPage));
        char* const hi = reinterpret_cast<char*>(reinterpret_cast<std::uintptr_t>(p + n) / kPage * kPage);
        if (hi > lo) madvise(lo, static_cast<std::size_t>(hi - lo), MADV_DONTNEED);
    }

    std::size_t size() const { return static_cast<std::size_t>(end_ - begin_); }
    std::size_t in_use() {
        std::lock_guard<std::mutex> lock(mutex_);
        return in_use_;
    }

private:
    static std::size_t round_up(std::size_t n, std::size_t to) { return (n + to - 1) / to * to; }

    char* take_free(std::size_t n) {  // first fit
        for (auto it = free_.begin(); it != free_.end(); ++it) {
            if (it->second < n) continue;
            char* p = it->first;
            const std::size_t rest = it->second - n;
            free_.erase(it);
            if (rest != 0) free_.emplace(p + n, rest);
            return p;
        }
        return nullptr;
    }

    char* take_fresh(std::size_t n) {
        if (static_cast<std::size_t>(end_ - bump_) < n)
            throw Error(
                fmt::format("tape: out of node memory: {} more bytes asked for, {} MiB of the node region's "
                            "{} MiB in use (every tape's nodes and every parameter live there)",
                            n, in_use_ >> 20, size() >> 20));
        char* p = bump_;
        bump_ += n;
        if (bump_ > committed_) {
            const std::size_t grow = round_up(static_cast<std::size_t>(bump_ - committed_), kCommitStep);
            const std::size_t can = static_cast<std::size_t>(end_ - committed_);
            const std::size_t commit = grow < can ? grow : can;
            if (mprotect(committed_, commit, PROT_READ | PROT_WRITE) != 0) {
                bump_ = p;
                throw Error(
                    fmt::format("tape: out of node memory: the system refused {} more bytes for nodes", commit));
            }
            committed_ += commit;
        }
        return p;
    }

    std::mutex mutex_;
    char* begin_ = nullptr;
    char* end_ = nullptr;
    char* bump_ = nullptr;       // everything above it is unused
    char* committed_ = nullptr;  // [begin_, committed_) is readable and writable
    std::size_t in_use_ = 0;
    std::map<char*, std::size_t> free_;            // free blocks below bump_, by address
    std::unordered_map<char*, std::size_t> live_;  // blocks handed out, with their sizes
};

Region& region() {
    static Region* instance = new Region;  // never destroyed: parameters may outlive main's locals
    return *instance;
}

}  // namespace

void* node_region_allocate(std::size_t bytes) { return region().allocate(bytes); }
void node_region_free(void* block) noexcept { region().free(block); }
std::size_t node_region_size() noexcept { return region().size(); }
std::size_t node_region_in_use() noexcept { return region().in_use(); }

}  // namespace tapegrad::detail
