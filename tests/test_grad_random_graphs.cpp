// Random DAGs of every scalar op (tests/random_graph.hpp) under HigherOrder: their Hessians by
// create_graph against central differences of the gradient, and their third derivatives against
// central differences of the Hessian. TAPEGRAD_RANDOM_GRAPHS sets how many graphs.
#include <algorithm>
#include <cmath>
#include <vector>

#include <doctest/doctest.h>

#include "gradcheck.hpp"
#include "random_graph.hpp"

using tapegrad::HigherOrder;
using tapegrad::Tape;
using tapegrad::Value;
using tapegrad::test::RandomGraph;
using Matrix = std::vector<std::vector<double>>;

namespace {

constexpr double kTolerance = 1e-7;  // the five-point difference of a gradient: about 1e-10 at best

// The gradient by one plain backward (fused, as first-order code records it).
std::vector<double> gradient_at(const RandomGraph& g, const std::vector<double>& x) {
    Tape& tape = Tape::current();
    tape.clear();
    std::vector<Value> leaves(x.begin(), x.end());
    tapegrad::test::run(g, leaves).backward();
    std::vector<double> out;
    for (const Value& leaf : leaves) out.push_back(leaf.grad());
    tape.clear();
    return out;
}

// The Hessian by create_graph; with `direction`, also d/dx_k H for k = direction (third order).
Matrix hessian_at(const RandomGraph& g, const std::vector<double>& x, int direction = -1) {
    Tape& tape = Tape::current();
    tape.clear();
    HigherOrder guard;
    std::vector<Value> leaves(x.begin(), x.end());
    const Value y = tapegrad::test::run(g, leaves);
    const std::vector<Value> gradient = tapegrad::grad(y, leaves, {.create_graph = true, .allow_unused = true});
    Matrix h(x.size(), std::vector<double>(x.size(), 0.0));
    for (std::size_t i = 0; i < x.size(); ++i) {
        if (!gradient[i].valid()) continue;
        const std::vector<Value> row =
            tapegrad::grad(gradient[i], leaves, {.create_graph = true, .allow_unused = true});
        for (std::size_t j = 0; j < x.size(); ++j) {
            if (!row[j].valid()) continue;
            if (direction < 0) {
                h[i][j] = row[j].data();
            } else {
                const Value third =
                    tapegrad::grad(row[j], {leaves[static_cast<std::size_t>(direction)]}, {.allow_unused = true})[0];
                h[i][j] = third.valid() ? third.data() : 0.0;
            }
        }
    }
    tape.clear();
    return h;
}

// Five-point differences of `at` (vectors or matrices of derivatives) along x_j.
template <class F> auto five_point(F at, std::vector<double> x, std::size_t j, double h) {
    const auto moved = [&](double offset) {
        std::vector<double> m = x;
        m[j] += offset;
        return at(m);
    };
    const auto a = moved(-2 * h), b = moved(-h), c = moved(h), d = moved(2 * h);
    auto out = a;
    for (std::size_t i = 0; i < out.size(); ++i) {
        if constexpr (std::is_same_v<decltype(out), Matrix>) {
            for (std::size_t k = 0; k < out[i].size(); ++k)
                out[i][k] = (a[i][k] - 8 * b[i][k] + 8 * c[i][k] - d[i][k]) / (12 * h);
        } else {
            out[i] = (a[i] - 8 * b[i] + 8 * c[i] - d[i]) / (12 * h);
        }
    }
    return out;
}

double relative(double a, double b) { return std::fabs(a - b) / std::max(1.0, std::fabs(b)); }

struct Tally {
    double worst = 0.0;
    std::size_t checked = 0, unsound = 0;

    // One graph's error against the coarse stencil, and the spread between the fine and coarse
    // stencils: a spread past the tolerance marks the reference unsound (a kink or a steep region
    // within the stencil's reach), and the graph is skipped.
    void take(std::uint64_t seed, double error, double spread) {
        if (spread >= kTolerance) {
            ++unsound;
            return;
        }
        ++checked;
        worst = std::max(worst, error);
        if (error >= kTolerance) {
            CAPTURE(seed);
            CHECK(error < kTolerance);
        }
    }
};

}  // namespace

TEST_CASE("random scalar graphs: Hessians by create_graph match central differences of the gradient") {
    const std::size_t n = tapegrad::test::graphs_to_check();
    Tally t;
    for (std::uint64_t seed = 1; t.checked < n && seed <= 2 * n; ++seed) {
        const RandomGraph g = tapegrad::test::make_random_graph(seed);
        const Matrix h = hessian_at(g, g.inputs);
        double error = 0.0, spread = 0.0;
        for (std::size_t j = 0; j < g.n_inputs; ++j) {
            const auto at = [&](const std::vector<double>& x) { return gradient_at(g, x); };
            const std::vector<double> coarse = five_point(at, g.inputs, j, 1e-4),
                                      fine = five_point(at, g.inputs, j, 2.5e-5);
            for (std::size_t i = 0; i < g.n_inputs; ++i) {
                error = std::max(error, relative(h[i][j], coarse[i]));
                spread = std::max(spread, relative(fine[i], coarse[i]));
            }
        }
        t.take(seed, error, spread);
    }
    MESSAGE("random graphs, second order: " << t.checked << " checked (" << t.unsound
                                            << " skipped: unsound reference), largest relative error " << t.worst);
    CHECK(t.checked == n);
    CHECK(t.unsound * 20 < n);
}

TEST_CASE("random scalar graphs: third derivatives by create_graph match central differences of the Hessian") {
    const std::size_t n = std::max<std::size_t>(tapegrad::test::graphs_to_check() / 10, 1);
    Tally t;
    for (std::uint64_t seed = 1; t.checked < n && seed <= 4 * n; ++seed) {
        const RandomGraph g = tapegrad::test::make_random_graph(seed, 24);
        const Matrix third = hessian_at(g, g.inputs, 0);  // d/dx0 of the Hessian
        const auto at = [&](const std::vector<double>& x) { return hessian_at(g, x); };
        const Matrix coarse = five_point(at, g.inputs, 0, 1e-4), fine = five_point(at, g.inputs, 0, 2.5e-5);
        double error = 0.0, spread = 0.0;
        for (std::size_t i = 0; i < g.n_inputs; ++i)
            for (std::size_t j = 0; j < g.n_inputs; ++j) {
                error = std::max(error, relative(third[i][j], coarse[i][j]));
                spread = std::max(spread, relative(fine[i][j], coarse[i][j]));
            }
        t.take(seed, error, spread);
    }
    MESSAGE("random graphs, third order: " << t.checked << " checked (" << t.unsound
                                           << " skipped: unsound reference), largest relative error " << t.worst);
    CHECK(t.checked == n);
}
