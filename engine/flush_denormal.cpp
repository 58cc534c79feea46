// The flush-denormal setting (include/tapegrad/flush_denormal.hpp).
#include "tapegrad/flush_denormal.hpp"

#include <atomic>

#include "fp_control.hpp"

namespace tapegrad {

namespace {
std::atomic<bool> flush_setting{true};
}

void set_flush_denormal(bool on) { flush_setting.store(on, std::memory_order_relaxed); }
bool flush_denormal() { return flush_setting.load(std::memory_order_relaxed); }

namespace detail {
bool flush_denormal_on() { return flush_setting.load(std::memory_order_relaxed); }
}  // namespace detail

}  // namespace tapegrad
