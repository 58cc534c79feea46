// Entries: ops that are not scalar nodes (the hook tensor ops use) run at their place in the sweep.
#include <doctest/doctest.h>

#include <tapegrad/value.hpp>

#include <tapegrad/tapegrad.hpp>

using tapegrad::Tape;
using tapegrad::Value;

namespace {
// y = 3 x recorded as an entry: its output is a node with no edges of its own, and the entry's
// backward moves the output's grad into the input's.
struct Triple {
    tapegrad::detail::Node* in;
    tapegrad::detail::Node* out;
    int* runs;
    static void backward(void* p) {
        auto* t = static_cast<Triple*>(p);
        t->in->grad += 3.0 * t->out->grad;
        ++*t->runs;
    }
    static void restart(void* p) { static_cast<Triple*>(p)->out->grad = 0.0; }
};
Value triple(const Value& x, int* runs) {
    Tape& tape = *x.tape();
    auto* data = tape.arena().make<Triple>(Triple{tapegrad::detail::ValueAccess::node(x), nullptr, runs});
    tape.record_entry(&Triple::backward, &Triple::restart, data);
    Value out(tape, 3.0 * x.data());
    data->out = tapegrad::detail::ValueAccess::node(out);
    return out;
}
}  // namespace

TEST_CASE("an entry's backward runs between the nodes recorded after it and before it") {
    Tape& tape = Tape::current();
    tape.clear();
    int runs = 0;
    Value x = 2.0;
    Value h = x.pow(2);              // 4
    Value y = triple(h, &runs);      // 12
    Value z = (y * h).tanh() * 0.5;  // 0.5 tanh(3 h^2)
    z.backward();
    const double t = std::tanh(48.0);
    const double dz_dh = 0.5 * (1 - t * t) * 6 * 4.0;
    CHECK(runs == 1);
    CHECK(x.grad() == doctest::Approx(dz_dh * 4.0).epsilon(1e-13));
    SUBCASE("a repeated backward restarts the entry's outputs and accumulates only in leaves") {
        z.backward();
        CHECK(runs == 2);
        CHECK(x.grad() == doctest::Approx(2 * dz_dh * 4.0).epsilon(1e-13));
    }
    SUBCASE("a backward from a node recorded before the entry does not run it") {
        x.zero_grad();
        h.backward();
        CHECK(runs == 1);
        CHECK(x.grad() == 4.0);
    }
    SUBCASE("clear() forgets the entries and runs their data's destructors") {
        tape.clear();
        CHECK(tape.entry_count() == 0);
    }
}
