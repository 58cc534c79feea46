// grad() and create_graph against derivatives worked by hand: first, second and third order,
// through every kind of node (elementwise rules, sum, dot, expressions that fuse outside
// HigherOrder), with respect to leaves, parameters and intermediate results.
#include <cmath>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include <tapegrad/tapegrad.hpp>

using tapegrad::GradOptions;
using tapegrad::HigherOrder;
using tapegrad::Tape;
using tapegrad::Value;

namespace {

constexpr GradOptions kCreateGraph{.create_graph = true};

doctest::Approx approx(double v) { return doctest::Approx(v).epsilon(1e-13).scale(1.0); }

// d^k f / dx^k at x for f built by `make` from one leaf, by k nested create_graph sweeps.
template <class F> std::vector<double> derivatives(F make, double x0, int order) {
    Tape& tape = Tape::current();
    tape.clear();
    HigherOrder guard;
    Value x = x0;
    Value d = make(x);
    std::vector<double> out{d.data()};
    for (int k = 1; k <= order; ++k) {
        if (!d.valid()) {  // a constant: every further derivative is 0
            out.push_back(0.0);
            continue;
        }
        d = tapegrad::grad(d, {x}, {.create_graph = true, .allow_unused = true})[0];
        out.push_back(d.valid() ? d.data() : 0.0);
    }
    tape.clear();
    return out;
}

}  // namespace

TEST_CASE("create_graph: x^3 y^2 + sin(x y) to third order, every mixed derivative by hand") {
    Tape::current().clear();
    HigherOrder guard;
    const double xv = 1.5, yv = 0.5, s = std::sin(xv * yv), c = std::cos(xv * yv);
    Value x = xv, y = yv;
    Value f = x * x * x * y * y + (x * y).sin();
    const std::vector<Value> d1 = tapegrad::grad(f, {x, y}, kCreateGraph);
    CHECK(d1[0].data() == approx(3 * xv * xv * yv * yv + yv * c));
    CHECK(d1[1].data() == approx(2 * xv * xv * xv * yv + xv * c));
    const std::vector<Value> dx = tapegrad::grad(d1[0], {x, y}, kCreateGraph);
    const std::vector<Value> dy = tapegrad::grad(d1[1], {x, y}, kCreateGraph);
    CHECK(dx[0].data() == approx(6 * xv * yv * yv - yv * yv * s));
    CHECK(dx[1].data() == approx(6 * xv * xv * yv + c - xv * yv * s));
    CHECK(dy[0].data() == approx(6 * xv * xv * yv + c - xv * yv * s));
    CHECK(dy[1].data() == approx(2 * xv * xv * xv - xv * xv * s));
    const std::vector<Value> dxx = tapegrad::grad(dx[0], {x, y});
    const std::vector<Value> dxy = tapegrad::grad(dx[1], {x, y});
    const std::vector<Value> dyy = tapegrad::grad(dy[1], {x, y});
    CHECK(dxx[0].data() == approx(6 * yv * yv - yv * yv * yv * c));                // f_xxx
    CHECK(dxx[1].data() == approx(12 * xv * yv - 2 * yv * s - xv * yv * yv * c));  // f_xxy
    CHECK(dxy[1].data() == approx(6 * xv * xv - 2 * xv * s - xv * xv * yv * c));   // f_xyy
    CHECK(dyy[1].data() == approx(-xv * xv * xv * c));                             // f_yyy
    CHECK(dxy[0].data() == approx(dxx[1].data()));                                 // the same mixed derivative two ways
    Tape::current().clear();
}

TEST_CASE("create_graph: each unary op's second and third derivatives in closed form") {
    struct Case {
        const char* name;
        Value (*f)(const Value&);
        double x;
        double d1, d2, d3;
    };
    const double t = std::tanh(0.7), sg = 1 / (1 + std::exp(-0.4)), e = std::exp(0.3);
    const double c = 2.5;  // the constant operand
    const Case cases[] = {
        {"tanh", [](const Value& x) { return x.tanh(); }, 0.7, 1 - t * t, -2 * t * (1 - t * t),
         -2 * (1 - t * t) * (1 - 3 * t * t)},
        {"sigmoid", [](const Value& x) { return x.sigmoid(); }, 0.4, sg * (1 - sg), sg * (1 - sg) * (1 - 2 * sg),
         sg * (1 - sg) * (1 - 6 * sg + 6 * sg * sg)},
        {"exp", [](const Value& x) { return x.exp(); }, 0.3, e, e, e},
        {"log", [](const Value& x) { return x.log(); }, 1.7, 1 / 1.7, -1 / (1.7 * 1.7), 2 / (1.7 * 1.7 * 1.7)},
        {"sqrt", [](const Value& x) { return x.sqrt(); }, 2.0, 0.5 / std::sqrt(2.0), -0.25 * std::pow(2.0, -1.5),
         0.375 * std::pow(2.0, -2.5)},
        {"sin", [](const Value& x) { return x.sin(); }, 0.9, std::cos(0.9), -std::sin(0.9), -std::cos(0.9)},
        {"cos", [](const Value& x) { return x.cos(); }, 0.9, -std::sin(0.9), -std::cos(0.9), std::sin(0.9)},
        {"relu", [](const Value& x) { return x.relu(); }, 0.9, 1, 0, 0},
        {"abs", [](const Value& x) { return x.abs(); }, -0.9, -1, 0, 0},
        {"pow(c)", [](const Value& x) { return x.pow(2.5); }, 1.3, c * std::pow(1.3, c - 1),
         c * (c - 1) * std::pow(1.3, c - 2), c * (c - 1) * (c - 2) * std::pow(1.3, c - 3)},
        {"c / x", [](const Value& x) { return 2.5 / x; }, 1.3, -c / (1.3 * 1.3), 2 * c / std::pow(1.3, 3),
         -6 * c / std::pow(1.3, 4)},
        {"x / c, x * c, c - x, x + c, -x", [](const Value& x) { return -(2.5 - (x / 2.5 * 2.5 + 2.5)); }, 0.4, 1, 0, 0},
        {"x^0 (derivative 0, as PyTorch)", [](const Value& x) { return x.pow(0.0) * x; }, 0.4, 1, 0, 0},
    };
    for (const Case& k : cases) {
        CAPTURE(k.name);
        const std::vector<double> d = derivatives(k.f, k.x, 3);
        CHECK(d[1] == approx(k.d1));
        CHECK(d[2] == approx(k.d2));
        CHECK(d[3] == approx(k.d3));
    }
}

TEST_CASE("create_graph: binary ops' mixed derivatives in closed form") {
    Tape::current().clear();
    HigherOrder guard;
    const double av = 1.3, bv = 0.8;
    Value a = av, b = bv;
    SUBCASE("a / b") {
        const std::vector<Value> d = tapegrad::grad(a / b, {a, b}, kCreateGraph);
        const std::vector<Value> db = tapegrad::grad(d[1], {a, b}, kCreateGraph);  // -a/b^2
        CHECK(db[0].data() == approx(-1 / (bv * bv)));
        CHECK(db[1].data() == approx(2 * av / (bv * bv * bv)));
        CHECK(tapegrad::grad(db[1], {b})[0].data() == approx(-6 * av / std::pow(bv, 4)));
        CHECK_FALSE(tapegrad::grad(d[0], {a}, {.allow_unused = true})[0].valid());  // 1/b does not depend on a
    }
    SUBCASE("pow(a, b)") {
        const double y = std::pow(av, bv), l = std::log(av);
        const std::vector<Value> d = tapegrad::grad(a.pow(b), {a, b}, kCreateGraph);
        CHECK(d[0].data() == approx(bv * std::pow(av, bv - 1)));
        CHECK(d[1].data() == approx(y * l));
        const std::vector<Value> db = tapegrad::grad(d[1], {a, b}, kCreateGraph);
        CHECK(db[0].data() == approx(std::pow(av, bv - 1) * (1 + bv * l)));
        CHECK(db[1].data() == approx(y * l * l));
        CHECK(tapegrad::grad(db[1], {b})[0].data() == approx(y * l * l * l));
    }
    SUBCASE("a * b - a + b") {
        const std::vector<Value> d = tapegrad::grad(a * b - a + b, {a, b}, kCreateGraph);
        CHECK(d[0].data() == approx(bv - 1));
        CHECK(d[1].data() == approx(av + 1));
        CHECK(tapegrad::grad(d[0], {b})[0].data() == 1.0);
        CHECK(tapegrad::grad(d[0], {a}, {.allow_unused = true})[0].valid() == false);
    }
    Tape::current().clear();
}

TEST_CASE("create_graph: sum and dot, the n-ary nodes, to third order") {
    Tape::current().clear();
    HigherOrder guard;
    const std::vector<double> xs{0.3, -1.2, 0.7};
    std::vector<Value> x(xs.begin(), xs.end());
    // f = (x . x)^2 + sum(x) (x0 x1): d3f/dxi^3 = 24 xi, d3f/dxi^2 dxj = 8 xj
    Value q = tapegrad::dot(x, x);
    Value f = q * q + tapegrad::sum(x) * (x[0] * x[1]);
    const double qv = xs[0] * xs[0] + xs[1] * xs[1] + xs[2] * xs[2], s = xs[0] + xs[1] + xs[2];
    const std::vector<Value> g = tapegrad::grad(f, x, kCreateGraph);
    CHECK(g[2].data() == approx(4 * qv * xs[2] + xs[0] * xs[1]));
    CHECK(g[0].data() == approx(4 * qv * xs[0] + xs[0] * xs[1] + s * xs[1]));
    const std::vector<Value> h0 = tapegrad::grad(g[0], x, kCreateGraph);
    CHECK(h0[0].data() == approx(4 * qv + 8 * xs[0] * xs[0] + 2 * xs[1]));
    CHECK(h0[1].data() == approx(8 * xs[0] * xs[1] + xs[0] + xs[1] + s));
    CHECK(h0[2].data() == approx(8 * xs[0] * xs[2] + xs[1]));
    const std::vector<Value> t00 = tapegrad::grad(h0[0], x);
    CHECK(t00[0].data() == approx(24 * xs[0]));
    CHECK(t00[1].data() == approx(8 * xs[1] + 2));
    CHECK(t00[2].data() == approx(8 * xs[2]));
    Tape::current().clear();
}

TEST_CASE("create_graph: expressions that fuse outside HigherOrder are one node per op inside it") {
    Tape& tape = Tape::current();
    tape.clear();
    Value a = 0.6, b = -0.4, c = 0.3;
    const Value fused = (a * b + c).tanh();
    CHECK(fused.op() == std::string("tanh"));
    CHECK(tape.node_count() == 4);  // three leaves and one fused node
    tape.clear();
    HigherOrder guard;
    Value x = 0.6, y = -0.4, z = 0.3;
    const Value f = (x * y + z).tanh() * 2.0;
    CHECK(tape.node_count() == 3 + 4);
    CHECK(tape.op_count() == tape.node_count());
    const double t = std::tanh(0.6 * -0.4 + 0.3), dt = 1 - t * t, d2t = -2 * t * dt;
    const std::vector<Value> g = tapegrad::grad(f, {x, y, z}, kCreateGraph);
    CHECK(g[0].data() == approx(2 * dt * -0.4));
    const std::vector<Value> h = tapegrad::grad(g[0], {x, y, z});
    CHECK(h[0].data() == approx(2 * d2t * 0.4 * 0.4));
    CHECK(h[1].data() == approx(2 * (d2t * 0.6 * -0.4 + dt)));
    CHECK(h[2].data() == approx(2 * d2t * -0.4));
    tape.clear();
}

TEST_CASE("grad: inputs may be leaves, parameters or intermediate results, and grads are not touched") {
    Tape& tape = Tape::current();
    tape.clear();
    Value p = Value::parameter(0.7);
    {
        HigherOrder guard;
        Value x = 1.1;
        Value t = x * p;  // an intermediate result
        Value f = t.sin() * p;
        f.backward();  // grads from an earlier backward stay as they are
        const double px = p.grad(), xx = x.grad();
        const std::vector<Value> g = tapegrad::grad(f, {t, p, x}, kCreateGraph);
        CHECK(g[0].data() == approx(std::cos(1.1 * 0.7) * 0.7));
        CHECK(g[1].data() == approx(std::sin(0.77) + 0.77 * std::cos(0.77)));
        CHECK(g[2].data() == approx(std::cos(0.77) * 0.49));
        // d2f/dp2 = 2 x cos(xp) - x^2 p sin(xp)
        CHECK(tapegrad::grad(g[1], {p})[0].data() == approx(2 * 1.1 * std::cos(0.77) - 1.21 * 0.7 * std::sin(0.77)));
        CHECK(p.grad() == px);
        CHECK(x.grad() == xx);
        CHECK(t.grad() == doctest::Approx(std::cos(0.77) * 0.7));
        // First order: constants (leaves) on the output's tape.
        const std::vector<Value> c = tapegrad::grad(f, {x, p});
        CHECK(c[0].is_leaf());
        CHECK(c[0].tape() == &tape);
        CHECK(c[0].data() == g[2].data());
        CHECK(c[1].data() == g[1].data());
        // The output itself: d f / d f = 1.
        CHECK(tapegrad::grad(f, {f})[0].data() == 1.0);
        CHECK(tapegrad::grad(f, {f}, kCreateGraph)[0].data() == 1.0);
        // A parameter as the output.
        CHECK(tapegrad::grad(p, {p})[0].data() == 1.0);
        CHECK_FALSE(tapegrad::grad(p, {x}, {.allow_unused = true})[0].valid());
    }
    tape.clear();
    Value::release_parameter(p);
}

TEST_CASE("grad: relu off is used but zero, a branch the output does not reach is unused") {
    Tape& tape = Tape::current();
    tape.clear();
    HigherOrder guard;
    Value x = -0.5, y = 2.0, z = 3.0;
    Value f = x.relu() * y;
    Value unrelated = z * 2.0;
    for (bool create_graph : {false, true}) {
        CAPTURE(create_graph);
        const std::vector<Value> g = tapegrad::grad(f, {x, y, z}, {.create_graph = create_graph, .allow_unused = true});
        CHECK(g[0].valid());
        CHECK(g[0].data() == 0.0);
        CHECK(g[1].data() == 0.0);  // relu(-0.5) = 0
        CHECK_FALSE(g[2].valid());
    }
    (void)unrelated;
    tape.clear();
}

TEST_CASE("create_graph: a value made under NoGrad inside HigherOrder is a constant") {
    Tape& tape = Tape::current();
    tape.clear();
    HigherOrder guard;
    Value x = 0.8;
    Value c;
    {
        tapegrad::NoGrad no_grad;
        c = x * x;  // 0.64, a constant
    }
    CHECK(tape.plain_recording() == false);
    CHECK(tape.higher_order());
    const Value f = c * x.sin();
    const std::vector<Value> g = tapegrad::grad(f, {x}, kCreateGraph);
    CHECK(g[0].data() == approx(0.64 * std::cos(0.8)));
    CHECK(tapegrad::grad(g[0], {x})[0].data() == approx(-0.64 * std::sin(0.8)));
    tape.clear();
}
