// The derivative drivers: each records f on a tape of its own and sweeps it.
#include "tapegrad/derivatives.hpp"

#include "hessian_vector_product.hpp"

#include <memory>
#include <string>

#include "tapegrad/grad.hpp"
#include "tapegrad/ops/scalar.hpp"

namespace tapegrad::detail {

namespace {

// A tape of the calling thread's own for each level of nesting (f may call a driver), current
// while alive and cleared at its end. The tapes are kept, so a warm call allocates little.
class DriverTape {
public:
    DriverTape() : tape_(acquire()), current_(tape_) {}
    ~DriverTape() {
        tape_.clear();
        --depth();
    }
    DriverTape(const DriverTape&) = delete;
    DriverTape& operator=(const DriverTape&) = delete;

    Tape& tape() const { return tape_; }
    std::vector<Value> leaves(const std::vector<double>& x) const {
        std::vector<Value> out;
        out.reserve(x.size());
        for (double v : x) out.emplace_back(tape_, v);
        return out;
    }
    // True if y is an op result or leaf on this tape: else f's value does not depend on x.
    bool holds(const Value& y) const {
        ValueAccess::check(y, "derivative of f: f's result");
        return y.tape() == &tape_;
    }

private:
    static std::size_t& depth() {
        thread_local std::size_t d = 0;
        return d;
    }
    static Tape& acquire() {
        thread_local std::vector<std::unique_ptr<Tape>> tapes;
        std::size_t& d = depth();
        if (tapes.size() == d) tapes.push_back(std::make_unique<Tape>());
        return *tapes[d++];
    }

    Tape& tape_;
    CurrentTape current_;
};

std::vector<double> values_or_zero(const std::vector<Value>& xs) {
    std::vector<double> out;
    out.reserve(xs.size());
    for (const Value& x : xs) out.push_back(x.valid() ? x.data() : 0.0);
    return out;
}

}  // namespace

// The tape is the driver's own, so one backward into fresh leaves is the first-order grad.
std::vector<double> gradient(ScalarFunction f, const std::vector<double>& x) {
    const DriverTape t;
    const std::vector<Value> xs = t.leaves(x);
    const Value y = f(xs);
    if (!t.holds(y)) return std::vector<double>(x.size(), 0.0);
    y.backward();
    std::vector<double> out;
    out.reserve(x.size());
    for (const Value& leaf : xs) out.push_back(leaf.grad());
    return out;
}

// H column by column: one recording, then H e_j by one forward-over-reverse pass each.
std::vector<std::vector<double>> hessian(ScalarFunction f, const std::vector<double>& x) {
    const DriverTape t;
    const HigherOrder guard(t.tape());
    const std::vector<Value> xs = t.leaves(x);
    const Value y = f(xs);
    std::vector<std::vector<double>> h(x.size(), std::vector<double>(x.size(), 0.0));
    if (!t.holds(y)) return h;
    HessianVectorSweep sweep("hessian", y, xs);
    std::vector<double> unit(x.size(), 0.0);
    for (std::size_t j = 0; j < x.size(); ++j) {
        unit[j] = 1.0;
        const std::vector<double> column = sweep(unit).hv;
        unit[j] = 0.0;
        for (std::size_t i = 0; i < x.size(); ++i) h[i][j] = column[i];
    }
    return h;
}

// One recording under HigherOrder and one forward-over-reverse pass (hessian_vector_product.hpp).
std::vector<double> hvp(ScalarFunction f, const std::vector<double>& x, const std::vector<double>& v) {
    if (v.size() != x.size())
        throw Error("hvp: x has " + std::to_string(x.size()) + " entries but v has " + std::to_string(v.size()));
    const DriverTape t;
    const HigherOrder guard(t.tape());
    const std::vector<Value> xs = t.leaves(x);
    const Value y = f(xs);
    if (!t.holds(y)) return std::vector<double>(x.size(), 0.0);
    return HessianVectorSweep("hvp", y, xs)(v).hv;
}

std::vector<std::vector<double>> jacobian(VectorFunction f, const std::vector<double>& x) {
    const DriverTape t;
    const std::vector<Value> xs = t.leaves(x);
    const std::vector<Value> ys = f(xs);
    std::vector<std::vector<double>> j(ys.size(), std::vector<double>(x.size(), 0.0));
    for (std::size_t i = 0; i < ys.size(); ++i)
        if (t.holds(ys[i])) j[i] = values_or_zero(grad(ys[i], xs, {.allow_unused = true}));
    return j;
}

}  // namespace tapegrad::detail
