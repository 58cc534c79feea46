// Random graphs on the tensor engine: (1) the scalar random graphs run on both engines agree to
// 1e-12; (2) random DAGs of tensor ops (broadcasting, matmul, reductions, softmax, shapes, slices,
// concatenation) match central differences in float64; (3) the same DAGs to second order: grad
// with create_graph against differences of grad.
#include <cmath>
#include <cstdlib>
#include <random>
#include <string>

#include <doctest/doctest.h>

#include "check_gradients.hpp"
#include "random_graph.hpp"

using tapegrad::DType;
using tapegrad::Tape;
using tapegrad::Tensor;
using tapegrad::Value;
using tapegrad::test::GraphOp;
using tapegrad::test::RandomGraph;
using tapegrad::testing::relative_error;

namespace {

// ---- (2) random tensor programs: every result is [2, 3]

enum class TOp {
    add,
    sub,
    mul,
    div,
    add_row,
    mul_col,
    matmul,
    relu,
    tanh,
    sigmoid,
    exp,
    log,
    sqrt,
    abs,
    pow_c,
    neg,
    scale,
    rdiv_c,
    softmax,
    log_softmax,
    max_col,
    mean_row,
    sum_all,
    transpose_reshape,
    slice_cat,
    count
};

struct TInstr {
    TOp op;
    std::uint32_t a, b;
    double c;
};

struct TGraph {
    std::vector<std::vector<double>> inputs;  // leaves [2, 3]... and the last one W [3, 3]
    std::vector<TInstr> program;
};

constexpr std::size_t kLeaves = 3;  // [2, 3] leaves; then one [3, 3] weight

Tensor step(const TInstr& in, const std::vector<Tensor>& v, const Tensor& w) {
    const Tensor &a = v[in.a], &b = v[in.b];
    switch (in.op) {
        case TOp::add: return a + b;
        case TOp::sub: return a - b;
        case TOp::mul: return a * b;
        case TOp::div: return a / b;
        case TOp::add_row: return a + b.sum(0, true);   // [2, 3] + [1, 3]
        case TOp::mul_col: return a * b.mean(1, true);  // [2, 3] * [2, 1]
        case TOp::matmul: return a.matmul(w);
        case TOp::relu: return a.relu();
        case TOp::tanh: return a.tanh();
        case TOp::sigmoid: return a.sigmoid();
        case TOp::exp: return a.exp();
        case TOp::log: return a.log();
        case TOp::sqrt: return a.sqrt();
        case TOp::abs: return a.abs();
        case TOp::pow_c: return a.pow(in.c);
        case TOp::neg: return -a;
        case TOp::scale: return a * in.c + b * 0.5;
        case TOp::rdiv_c: return in.c / a;
        case TOp::softmax: return a.softmax(in.c > 0 ? 1 : 0);
        case TOp::log_softmax: return a.log_softmax(in.c > 0 ? 1 : 0);
        case TOp::max_col: return a - b.max(1, true);  // [2, 3] - [2, 1]
        case TOp::mean_row: return a * b.mean();       // [2, 3] * 0-d
        case TOp::sum_all: return a + b.sum(0).reshape({1, 3});
        case TOp::transpose_reshape: return a.transpose(0, 1).reshape({2, 3});
        case TOp::slice_cat: return tapegrad::cat({a.slice(1, 0, 1), b.slice(1, 1, 3)}, 1);
        case TOp::count: break;
    }
    throw tapegrad::Error("random tensor graph: unknown op");
}

Tensor run(const TGraph& g, const std::vector<Tensor>& leaves) {
    std::vector<Tensor> v(leaves.begin(), leaves.begin() + kLeaves);
    for (const TInstr& in : g.program) v.push_back(step(in, v, leaves[kLeaves]));
    Tensor out = v.back();
    for (std::size_t k = 2; k <= 3; ++k) out = out + v[v.size() - k];
    // Fixed weights so that every output element's gradient counts.
    return (out * Tensor::from({0.7, -1.1, 0.4, 1.3, -0.6, 0.9}, {2, 3}, DType::f64)).sum();
}

std::vector<Tensor> leaves_of(const TGraph& g, bool requires_grad) {
    std::vector<Tensor> leaves;
    for (std::size_t i = 0; i < g.inputs.size(); ++i)
        leaves.push_back(Tensor::from(g.inputs[i], i < kLeaves ? tapegrad::Shape{2, 3} : tapegrad::Shape{3, 3},
                                      DType::f64, requires_grad));
    return leaves;
}

// Draws instructions, runs each forward (without recording) and redraws any whose operands sit at
// a kink, outside a domain, or whose result grows past 1e3.
TGraph make_tensor_graph(std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> u(-1.5, 1.5);
    TGraph g;
    for (std::size_t i = 0; i <= kLeaves; ++i) {
        std::vector<double> x(i < kLeaves ? 6 : 9);
        for (double& e : x) e = u(rng);
        g.inputs.push_back(x);
    }
    Tape::current().clear();
    tapegrad::NoGrad off;
    std::vector<Tensor> leaves = leaves_of(g, false);
    std::vector<Tensor> v(leaves.begin(), leaves.begin() + kLeaves);
    const std::size_t length = 3 + rng() % 30;
    for (std::size_t tries = 0; g.program.size() < length && tries < 50 * length; ++tries) {
        const std::size_t n = v.size();
        const auto pick = [&] {
            return static_cast<std::uint32_t>(rng() % 2 ? n - 1 - rng() % std::min<std::size_t>(n, 3) : rng() % n);
        };
        TInstr in{static_cast<TOp>(rng() % static_cast<int>(TOp::count)), pick(), pick(), u(rng)};
        if (std::fabs(in.c) < 0.3) in.c = 0.7;
        const std::vector<double> a = v[in.a].to_vector(), b = v[in.b].to_vector();
        const auto min_abs = [](const std::vector<double>& x) {
            double m = 1e300;
            for (double e : x) m = std::min(m, std::fabs(e));
            return m;
        };
        const auto min_of = [](const std::vector<double>& x) { return *std::min_element(x.begin(), x.end()); };
        bool ok = true;
        switch (in.op) {
            case TOp::relu:
            case TOp::abs: ok = min_abs(a) > 1e-3; break;
            case TOp::div: ok = min_abs(b) > 0.2; break;
            case TOp::rdiv_c: ok = min_abs(a) > 0.2; break;
            case TOp::log:
            case TOp::sqrt:
            case TOp::pow_c: ok = min_of(a) > 0.2; break;
            case TOp::exp: ok = *std::max_element(a.begin(), a.end()) < 5; break;
            case TOp::mul_col: ok = min_abs(v[in.b].mean(1, true).to_vector()) > 1e-3; break;
            default: break;
        }
        if (!ok) continue;
        const Tensor y = step(in, v, leaves[kLeaves]);
        const std::vector<double> yv = y.to_vector();
        if (std::any_of(yv.begin(), yv.end(), [](double e) { return !std::isfinite(e) || std::fabs(e) > 1e3; }))
            continue;
        g.program.push_back(in);
        v.push_back(y);
    }
    Tape::current().clear();
    return g;
}

// Five-point central differences at h and h / 4, as for scalars.
tapegrad::testing::GradCheck check(const TGraph& g, double h = 1e-4) {
    std::vector<tapegrad::testing::TensorInput> inputs;
    for (std::size_t i = 0; i < g.inputs.size(); ++i)
        inputs.push_back({i < kLeaves ? tapegrad::Shape{2, 3} : tapegrad::Shape{3, 3}, g.inputs[i]});
    return tapegrad::testing::gradcheck([&](const std::vector<Tensor>& leaves) { return run(g, leaves); }, inputs, h,
                                        tapegrad::testing::Stencil::five_point);
}

}  // namespace

TEST_CASE("the scalar and the tensor engine agree to 1e-12 on the same random programs") {
    const std::vector<GraphOp> no_twin{GraphOp::pow};  // the tensor engine has no pow of a tensor
    const std::size_t n = tapegrad::test::graphs_to_check();
    double worst = 0.0;
    std::size_t nonzero = 0;  // gradients compared that are not trivially zero
    Tape& tape = Tape::current();
    for (std::uint64_t seed = 1; seed <= n; ++seed) {
        const RandomGraph g = tapegrad::test::make_random_graph(seed, 64, no_twin);
        tape.clear();
        std::vector<Value> xs(g.inputs.begin(), g.inputs.end());
        Value y = tapegrad::test::run(g, xs);
        y.backward();
        std::vector<Tensor> ts;
        for (double x : g.inputs) ts.push_back(Tensor::from({x}, {1}, DType::f64, true));
        Tensor t = tapegrad::test::run(g, ts);
        t.sum().backward();
        double err = relative_error(t.item(), y.data());
        for (std::size_t i = 0; i < xs.size(); ++i) {
            err = std::max(err, relative_error(ts[i].grad().item(), xs[i].grad()));
            nonzero += xs[i].grad() != 0.0;
        }
        worst = std::max(worst, err);
        if (err > 1e-12) {
            CAPTURE(seed);
            CHECK(err <= 1e-12);
        }
    }
    tape.clear();
    MESSAGE("scalar vs tensor engine: " << n << " programs, " << nonzero
                                        << " non-zero gradients compared, largest relative difference " << worst);
    CHECK(nonzero > n);
    CHECK(worst <= 1e-12);
}

namespace {

// Checks `n` sound random tensor graphs with `check_one` (a GradCheck of one graph), skipping those whose
// reference is unsound (a kink or a tie within reach of the stencil), which must stay rare.
template <class Check> void check_graphs(const char* what, std::size_t n, Check check_one) {
    std::size_t checked = 0, unsound = 0, ops = 0;
    double worst = 0.0;
    for (std::uint64_t seed = 1; checked < n && seed <= 2 * n; ++seed) {
        const TGraph g = make_tensor_graph(seed);
        const tapegrad::testing::GradCheck r = check_one(g);
        if (r.spread >= tapegrad::test::kGradTolerance) {
            ++unsound;
            continue;
        }
        ++checked;
        ops += g.program.size();
        worst = std::max(worst, r.error);
        if (r.error >= tapegrad::test::kGradTolerance) {
            CAPTURE(seed);
            CAPTURE(r.error);
            CHECK(r.error < tapegrad::test::kGradTolerance);
        }
    }
    MESSAGE(std::string(what) << ": " << checked << " checked (" << unsound << " skipped: unsound reference), " << ops
                              << " ops, largest relative error " << worst);
    CHECK(checked == n);
    CHECK(unsound * 20 < n);
    CHECK(worst < tapegrad::test::kGradTolerance);
}

}  // namespace

TEST_CASE("random tensor graphs match central differences") {
    check_graphs("random tensor graphs", tapegrad::test::graphs_to_check(), [](const TGraph& g) { return check(g); });
}

namespace {

// Second order: the Hessian-vector product by grad with create_graph (d/dx sum_k <grad_k, v_k>)
// against five-point differences of grad without it, at h and h / 4.
tapegrad::testing::GradCheck check_second_order(const TGraph& g, double h = 1e-4) {
    std::vector<std::vector<double>> v;
    std::mt19937_64 rng(g.program.size() * 7919 + 1);
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    for (const std::vector<double>& x : g.inputs) {
        v.emplace_back(x.size());
        for (double& e : v.back()) e = u(rng);
    }
    const auto inner = [&](const std::vector<Tensor>& grads) {
        Tensor sum = Tensor::zeros({}, DType::f64);
        for (std::size_t k = 0; k < grads.size(); ++k)
            if (grads[k].defined())
                sum = sum + (grads[k] * Tensor::from(v[k], tapegrad::Shape(grads[k].sizes()), DType::f64)).sum();
        return sum;
    };
    Tape& tape = Tape::current();
    tape.clear();
    std::vector<Tensor> leaves = leaves_of(g, true);
    const std::vector<Tensor> grads =
        tapegrad::grad(run(g, leaves), leaves, {.create_graph = true, .allow_unused = true});
    std::vector<double> analytic;
    // A graph linear in its inputs has gradients that depend on none of them (no second derivative).
    const Tensor q = inner(grads);
    const std::vector<Tensor> hv =
        q.requires_grad() ? tapegrad::grad(q, leaves, {.allow_unused = true}) : std::vector<Tensor>(leaves.size());
    for (std::size_t k = 0; k < hv.size(); ++k) {
        const std::vector<double> e = hv[k].defined() ? hv[k].to_vector() : std::vector<double>(g.inputs[k].size());
        analytic.insert(analytic.end(), e.begin(), e.end());
    }
    const auto moved = [&](std::size_t i, double offset) {
        TGraph at = g;
        for (std::vector<double>& x : at.inputs) {
            if (i < x.size()) {
                x[i] += offset;
                break;
            }
            i -= x.size();
        }
        tape.clear();
        const std::vector<Tensor> xs = leaves_of(at, true);
        return inner(tapegrad::grad(run(at, xs), xs, {.allow_unused = true})).item();
    };
    const tapegrad::testing::GradCheck r =
        tapegrad::testing::compare(analytic, moved, h, tapegrad::testing::Stencil::five_point);
    tape.clear();
    return r;
}

}  // namespace

TEST_CASE("random tensor graphs to second order: create_graph Hessian-vector products match differences of grad") {
    check_graphs("random tensor graphs, second order", std::max<std::size_t>(tapegrad::test::graphs_to_check() / 4, 1),
                 [](const TGraph& g) { return check_second_order(g); });
}

TEST_CASE("a chain of 100,000 tensor ops runs forward and backward without recursion") {
    Tape& tape = Tape::current();
    tape.clear();
    Tensor w = Tensor::full({4}, 0.9, DType::f64, true);
    Tensor y = Tensor::full({4}, 0.5, DType::f64);
    for (int i = 0; i < 50'000; ++i) y = (y * w).tanh();
    y.sum().backward();
    // By hand, forward mode on one element: v <- tanh(0.9 v), dv/dw accumulated.
    double v = 0.5, dv = 0.0;
    for (int i = 0; i < 50'000; ++i) {
        const double t = std::tanh(0.9 * v);
        dv = (1 - t * t) * (v + 0.9 * dv);
        v = t;
    }
    const std::vector<double> g = w.grad().to_vector();
    CHECK(y.to_vector()[0] == doctest::Approx(v).epsilon(1e-14));
    for (double gi : g) CHECK(gi == doctest::Approx(dv).epsilon(1e-10));
    tape.clear();
}
