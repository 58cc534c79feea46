// The calling thread's floating-point control word, and a scope that sets flush-to-zero and
// denormals-are-zero in it (include/tapegrad/flush_denormal.hpp says why). Internal to engine/.
#pragma once

#include <cstdint>

#if defined(__x86_64__) || defined(__i386__) || defined(_M_X64)
#include <xmmintrin.h>
#define TAPEGRAD_FP_CONTROL_SSE 1
#endif

namespace tapegrad::detail {

#if defined(TAPEGRAD_FP_CONTROL_SSE)
using ControlWord = unsigned;
inline ControlWord control_word() { return _mm_getcsr(); }
inline void set_control_word(ControlWord w) { _mm_setcsr(w); }
inline constexpr ControlWord kFlushBits = 0x8040;  // MXCSR FTZ (bit 15) | DAZ (bit 6)
inline constexpr ControlWord kStatusBits = 0x3f;   // MXCSR's sticky exception flags
#elif defined(__aarch64__)
using ControlWord = std::uint64_t;
inline ControlWord control_word() {
    ControlWord w;
    __asm__ __volatile__("mrs %0, fpcr" : "=r"(w));
    return w;
}
inline void set_control_word(ControlWord w) { __asm__ __volatile__("msr fpcr, %0" : : "r"(w)); }
inline constexpr ControlWord kFlushBits = ControlWord{1} << 24;  // FPCR.FZ
inline constexpr ControlWord kStatusBits = 0;                    // AArch64 keeps the flags in FPSR
#else
using ControlWord = unsigned;  // no control: everything below is a no-op
inline ControlWord control_word() { return 0; }
inline void set_control_word(ControlWord) {}
inline constexpr ControlWord kFlushBits = 0;
inline constexpr ControlWord kStatusBits = 0;
#endif

bool flush_denormal_on();  // tapegrad::flush_denormal(), without the public header

// Sets the control bits of `want` for the scope's life and restores the caller's afterwards;
// exception flags raised meanwhile are kept, as if the work had run under the caller's modes.
// Writes the register only when the modes change (a write serialises the floating-point pipeline
// on some cores).
class ControlWordScope {
public:
    explicit ControlWordScope(ControlWord want)
        : saved_(control_word()), changed_(((want ^ saved_) & ~kStatusBits) != 0) {
        if (changed_) set_control_word((want & ~kStatusBits) | (saved_ & kStatusBits));
    }
    ~ControlWordScope() {
        if (changed_) set_control_word((saved_ & ~kStatusBits) | (control_word() & kStatusBits));
    }
    ControlWordScope(const ControlWordScope&) = delete;
    ControlWordScope& operator=(const ControlWordScope&) = delete;

private:
    ControlWord saved_;
    bool changed_;
};

// The control word a backward sweep runs under: the caller's, with the flush bits if enabled.
inline ControlWord backward_control_word() {
    const ControlWord w = control_word();
    return flush_denormal_on() ? (w | kFlushBits) : w;
}

}  // namespace tapegrad::detail
