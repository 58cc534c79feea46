// Backward flushes subnormals (include/tapegrad/flush_denormal.hpp): same gradients, the
// caller's floating-point control state kept, on every thread; the forward pass untouched.
#include <cmath>
#include <stdexcept>
#include <vector>

#include <doctest/doctest.h>

#include <tapegrad/detail/tensor_loops.hpp>
#include <tapegrad/tapegrad.hpp>

#include "check_gradients.hpp"

#if defined(__x86_64__)
#include <xmmintrin.h>
#endif

using tapegrad::Tape;
using tapegrad::Value;
using tapegrad::test::same_bits;

namespace {

// Restores the setting and the thread count whatever a test does.
struct Settings {
    bool flush = tapegrad::flush_denormal();
    int threads = tapegrad::num_threads();
    ~Settings() {
        tapegrad::set_flush_denormal(flush);
        tapegrad::set_num_threads(threads);
        Tape::current().clear();
    }
};

struct ChainGrads {
    double w, b, x0;
};

// S1's chain: y = tanh(y*w + b). dy/dx0 shrinks by about 0.67 a step and goes subnormal after
// about 1,800 steps; dy/dw and dy/db are sums dominated by the last steps.
ChainGrads chain(int steps) {
    Tape& tape = Tape::current();
    tape.clear();
    Value w = 0.9, b = 0.1, x0 = 0.5;
    Value y = x0;
    for (int i = 0; i < steps; ++i) y = (y * w + b).tanh();
    y.backward();
    return {w.grad(), b.grad(), x0.grad()};
}

#if defined(__x86_64__)
constexpr unsigned kFlushBits = 0x8040;  // MXCSR FTZ | DAZ
// The control state: everything but the sticky exception flags (bits 0-5), which arithmetic sets.
unsigned mxcsr_modes() { return _mm_getcsr() & ~0x3fu; }
#endif

}  // namespace

TEST_CASE("flush denormal: a long decaying chain gives bitwise the same dy/dw and dy/db with and without it") {
    Settings keep;
    tapegrad::set_flush_denormal(false);
    const ChainGrads ieee = chain(5000);
    tapegrad::set_flush_denormal(true);
    const ChainGrads flushed = chain(5000);
    CHECK(same_bits(ieee.w, flushed.w));
    CHECK(same_bits(ieee.b, flushed.b));
    CHECK(ieee.w > 1.0);
    // What the flush does change: dy/dx0 is stuck at the smallest subnormal without it, 0 with it.
#if defined(__x86_64__) || defined(__aarch64__)
    CHECK(ieee.x0 > 0.0);
    CHECK(std::fpclassify(ieee.x0) == FP_SUBNORMAL);
    CHECK(flushed.x0 == 0.0);
#endif
}

TEST_CASE("flush denormal: is on by default and can be turned off") {
    Settings keep;
    CHECK(tapegrad::flush_denormal());
    Tape& tape = Tape::current();
    for (bool on : {true, false}) {
        tapegrad::set_flush_denormal(on);
        CHECK(tapegrad::flush_denormal() == on);
        tape.clear();
        Value a = 1.0;
        Value b = a * 1e-160;
        Value c = b * 1e-160;  // dc/da = 1e-320, a subnormal
        c.backward();
        CHECK(b.grad() == 1e-160);
#if defined(__x86_64__) || defined(__aarch64__)
        if (on) CHECK(a.grad() == 0.0);
        else CHECK(a.grad() == 1e-320);
#else
        CHECK(a.grad() == 1e-320);  // no control on this target: nothing changes
#endif
    }
}

TEST_CASE("flush denormal: the forward pass keeps subnormal values") {
    Settings keep;
    Tape& tape = Tape::current();
    Value warm = Value(2.0) * 3.0;
    warm.backward();  // a backward has run on this thread
    Value a = 1e-300;
    Value s = a * 1e-10;
    CHECK(s.data() == 1e-310);
    CHECK(std::fpclassify(s.data()) == FP_SUBNORMAL);
    tapegrad::Tensor t = tapegrad::Tensor::from(std::vector<double>{1e-300, 2.0}, {2}, tapegrad::DType::f64) * 1e-10;
    CHECK(t.to_vector()[0] == 1e-310);
    tape.clear();
}

#if defined(__x86_64__)
TEST_CASE("flush denormal: the caller's MXCSR is the same after backward and after a backward that throws") {
    Settings keep;
    Tape& tape = Tape::current();
    const unsigned before = mxcsr_modes();
    REQUIRE((before & kFlushBits) == 0);

    Value x = 1.0;
    Value y = (x * 3.0).tanh();
    y.backward();
    CHECK(mxcsr_modes() == before);

    // An entry whose kernel sees the sweep's control word, then throws.
    static unsigned seen = 0;
    tape.clear();
    Value p = 2.0;
    tape.record_entry(
        [](void*) {
            seen = _mm_getcsr();
            throw std::runtime_error("kernel failed");
        },
        nullptr, nullptr, "failing op");
    Value q = p * 5.0;
    CHECK_THROWS_WITH(q.backward(), "kernel failed");
    CHECK((seen & kFlushBits) == kFlushBits);
    CHECK(mxcsr_modes() == before);

    // A caller that set the flush bits itself keeps them, with the setting on or off.
    const unsigned flags = _mm_getcsr() & 0x3fu;
    _mm_setcsr(before | kFlushBits | flags);
    tapegrad::set_flush_denormal(false);
    tape.clear();
    Value r = Value(1.5) * 2.0;
    r.backward();
    CHECK(mxcsr_modes() == (before | kFlushBits));
    _mm_setcsr(before | flags);
}

TEST_CASE("flush denormal: backward kernels on worker threads flush, and the workers get their own state back") {
    Settings keep;
    tapegrad::set_num_threads(2);
    Tape& tape = Tape::current();
    static unsigned part_csr[2];
    const auto record_parts = [](void*) {
        tapegrad::detail::parallel_for(2, 1, [](std::int64_t b, std::int64_t e) {
            for (std::int64_t i = b; i < e; ++i) part_csr[i] = _mm_getcsr();
        });
    };
    Value v = 1.0;
    tape.record_entry(record_parts, nullptr, nullptr, "probe");
    Value w = v * 2.0;
    part_csr[0] = part_csr[1] = 0;
    w.backward();
    CHECK((part_csr[0] & kFlushBits) == kFlushBits);  // the caller's part
    CHECK((part_csr[1] & kFlushBits) == kFlushBits);  // a worker's
    // Outside backward the same workers run with the caller's (unflushed) state.
    part_csr[0] = part_csr[1] = kFlushBits;
    record_parts(nullptr);
    CHECK((part_csr[0] & kFlushBits) == 0);
    CHECK((part_csr[1] & kFlushBits) == 0);
}
#endif
