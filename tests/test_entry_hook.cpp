// Tape::set_entry_hook: a callback after each entry's backward kernel, in sweep order.
#include <doctest/doctest.h>

#include <utility>
#include <vector>

#include <tapegrad/tapegrad.hpp>

using tapegrad::DType;
using tapegrad::Tape;
using tapegrad::Tensor;

namespace {
struct Seen {
    std::vector<std::size_t> entries;
    std::vector<double> w_grad_then;  // w's grad as the hook saw it
    Tensor w;
};
void remember(void* context, std::size_t entry) {
    auto* seen = static_cast<Seen*>(context);
    seen->entries.push_back(entry);
    seen->w_grad_then.push_back(seen->w.grad().to_vector()[0]);
}
}  // namespace

TEST_CASE("the entry hook runs after every entry's backward, in decreasing entry order") {
    Tape& tape = Tape::current();
    tape.clear();
    Seen seen;
    seen.w = Tensor::from(std::vector<double>{2.0}, {1}, DType::f64, true);
    Tensor x = Tensor::from(std::vector<double>{3.0}, {1}, DType::f64);
    Tensor y = (seen.w * x).tanh();  // entries 0 (mul, writes w's grad) and 1 (tanh)
    Tensor loss = (y * y).sum();     // entries 2 and 3
    REQUIRE(tape.entry_count() == 4);
    tape.set_entry_hook(&remember, &seen);
    CHECK((tape.entry_hook() == &remember));
    CHECK(tape.entry_hook_context() == &seen);
    loss.backward();
    tape.set_entry_hook(nullptr, nullptr);
    CHECK(seen.entries == std::vector<std::size_t>{3, 2, 1, 0});
    // Until the mul's kernel (entry 0) ran, w's grad was still 0; after it, final.
    const double final_grad = seen.w.grad().to_vector()[0];
    CHECK(final_grad != 0.0);
    CHECK(seen.w_grad_then == std::vector<double>{0.0, 0.0, 0.0, final_grad});

    // Unset, nothing is called.
    seen.entries.clear();
    loss.backward();
    CHECK(seen.entries.empty());
    tape.clear();
}
