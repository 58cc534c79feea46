// Tensor grad, op by op, in float64: first derivatives against backward()'s (and no tensor's
// grad touched), and second derivatives by create_graph against five-point central differences
// of the first derivative. For each op f the function differentiated is s = sum(w * f(x)^2) with
// fixed weights w (so that even a linear op has a second derivative through it), and the second
// derivative checked is the Hessian-vector product d/dx sum_k <ds/dx_k, v_k> for fixed v.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include <tapegrad/tapegrad.hpp>

#include "gradcheck.hpp"
#include "rule_points.hpp"

using tapegrad::DType;
using tapegrad::Shape;
using tapegrad::Tape;
using tapegrad::Tensor;
using Tensors = std::vector<Tensor>;

namespace {

using Fn = std::function<Tensor(const Tensors&)>;
using Input = tapegrad::testing::TensorInput;

struct OpCase {
    std::string name;
    Fn f;
    std::vector<Input> inputs;
};

// Values in (lo, hi) fixed by a seed.
Input input(const Shape& shape, std::uint64_t seed, double lo = -1.5, double hi = 1.5) {
    tapegrad::Generator g(seed);
    Input in{shape, {}};
    for (std::int64_t i = 0; i < shape.numel(); ++i) in.values.push_back(lo + (hi - lo) * g.uniform());
    return in;
}

Tensor weights(const Shape& shape, std::uint64_t seed) {
    tapegrad::Generator g(seed);
    std::vector<double> w;
    for (std::int64_t i = 0; i < shape.numel(); ++i) w.push_back(0.5 + g.uniform());
    return Tensor::from(w, shape, DType::f64);
}

Tensor objective(const Fn& f, const Tensors& leaves) {
    const Tensor y = f(leaves);
    return (weights(Shape(y.sizes()), 99) * y * y).sum();
}

Tensors leaves_of(const std::vector<Input>& inputs) {
    Tensors out;
    for (const Input& in : inputs) out.push_back(Tensor::from(in.values, in.shape, DType::f64, true));
    return out;
}

std::vector<double> flat(const Tensors& ts) {
    std::vector<double> out;
    for (const Tensor& t : ts) {
        const std::vector<double> v = t.to_vector();
        out.insert(out.end(), v.begin(), v.end());
    }
    return out;
}

double worst_first = 0.0, worst_second = 0.0;

void check(const OpCase& c) {
    CAPTURE(c.name);
    Tape& tape = Tape::current();
    tape.clear();
    std::vector<Input> directions;
    for (std::size_t k = 0; k < c.inputs.size(); ++k) directions.push_back(input(c.inputs[k].shape, 500 + k));

    // First order: grad() against backward(), and grad() leaves the leaves' grads alone.
    Tensors leaves = leaves_of(c.inputs);
    const Tensor s = objective(c.f, leaves);
    const Tensors g = tapegrad::grad(s, leaves);
    for (const Tensor& x : leaves)
        CHECK(x.grad().to_vector() == std::vector<double>(static_cast<std::size_t>(x.numel()), 0.0));
    s.backward();
    Tensors by_backward;
    for (const Tensor& x : leaves) by_backward.push_back(x.grad());
    const std::vector<double> a = flat(g), b = flat(by_backward);
    REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        const double e = tapegrad::testing::relative_error(a[i], b[i]);
        worst_first = std::max(worst_first, e);
        CHECK(e < 1e-13);
    }

    // Second order: the Hessian-vector product by create_graph.
    tape.clear();
    leaves = leaves_of(c.inputs);
    const Tensors g2 = tapegrad::grad(objective(c.f, leaves), leaves, {.create_graph = true});
    Tensor inner = Tensor::zeros({}, DType::f64);
    for (std::size_t k = 0; k < g2.size(); ++k)
        inner = inner + (g2[k] * Tensor::from(directions[k].values, directions[k].shape, DType::f64)).sum();
    const std::vector<double> analytic = flat(tapegrad::grad(inner, leaves, {.allow_unused = true}));

    // The same product from first derivatives (no create_graph) at moved points.
    const auto moved = [&](std::size_t i, double offset) {
        std::vector<Input> at = c.inputs;
        for (Input& in : at) {
            if (i < in.values.size()) {
                in.values[i] += offset;
                break;
            }
            i -= in.values.size();
        }
        tape.clear();
        const Tensors xs = leaves_of(at);
        const Tensors gs = tapegrad::grad(objective(c.f, xs), xs);
        double dot = 0.0;
        for (std::size_t k = 0; k < gs.size(); ++k) {
            const std::vector<double> gv = gs[k].to_vector();
            for (std::size_t j = 0; j < gv.size(); ++j) dot += gv[j] * directions[k].values[j];
        }
        return dot;
    };
    const double err = tapegrad::testing::compare(analytic, moved, 1e-4, tapegrad::testing::Stencil::five_point).error;
    worst_second = std::max(worst_second, err);
    CHECK(err < 1e-8);
    tape.clear();
}

template <class Rule> Input rule_input() {
    const std::vector<double> p = tapegrad::test::points(Rule::domain);
    return Input{Shape{static_cast<std::int64_t>(p.size())}, p};
}

std::vector<OpCase> unary_cases() {
    std::vector<OpCase> out;
#define TAPEGRAD_UNARY_CASE(method, Rule) \
    out.push_back({#method, [](const Tensors& x) { return x[0].method(); }, {rule_input<tapegrad::ops::Rule>()}});
    TAPEGRAD_UNARY_OPS(TAPEGRAD_UNARY_CASE)
#undef TAPEGRAD_UNARY_CASE
    const double c = tapegrad::test::kConstant;
    namespace ops = tapegrad::ops;
    out.push_back({"pow", [](const Tensors& x) { return x[0].pow(2.5); }, {rule_input<ops::PowConst>()}});
    out.push_back({"pow 0", [](const Tensors& x) { return x[0].pow(0.0) + x[0]; }, {rule_input<ops::PowConst>()}});
    out.push_back({"x + c", [c](const Tensors& x) { return x[0] + c; }, {rule_input<ops::AddConst>()}});
    out.push_back({"c - x", [c](const Tensors& x) { return c - x[0]; }, {rule_input<ops::RSubConst>()}});
    out.push_back({"x * c", [c](const Tensors& x) { return x[0] * c; }, {rule_input<ops::MulConst>()}});
    out.push_back({"x / c", [c](const Tensors& x) { return x[0] / c; }, {rule_input<ops::DivConst>()}});
    out.push_back({"c / x", [c](const Tensors& x) { return c / x[0]; }, {rule_input<ops::RDivConst>()}});
    out.push_back({"-x", [](const Tensors& x) { return -x[0]; }, {rule_input<ops::Neg>()}});
    // A non-contiguous input (the rules read x through its strides).
    out.push_back({"tanh of a transpose", [](const Tensors& x) { return x[0].t().tanh(); }, {input({2, 3}, 7)}});
    return out;
}

std::vector<OpCase> binary_cases() {
    std::vector<OpCase> out;
    const std::vector<std::pair<Shape, Shape>> shapes = {
        {{2, 3}, {2, 3}}, {{2, 3}, {3}}, {{2, 1}, {1, 3}}, {{}, {2, 3}}, {{2, 3, 2}, {3, 1}}};
    int seed = 10;
    for (const auto& shape_pair : shapes) {
        const Shape &sa = shape_pair.first, &sb = shape_pair.second;
        const Input a = input(sa, ++seed), b = input(sb, ++seed), pos = input(sb, ++seed, 0.5, 2.0);
        const auto named = [&](const char* op) {
            return std::string(op).append(" ").append(sa.str()).append(sb.str());
        };
        out.push_back({named("add"), [](const Tensors& x) { return x[0] + x[1]; }, {a, b}});
        out.push_back({named("sub"), [](const Tensors& x) { return x[0] - x[1]; }, {a, b}});
        out.push_back({named("mul"), [](const Tensors& x) { return x[0] * x[1]; }, {a, b}});
        out.push_back({named("div"), [](const Tensors& x) { return x[0] / x[1]; }, {a, pos}});
    }
    out.push_back({"mul of an input by itself", [](const Tensors& x) { return x[0] * x[0]; }, {input({3}, 30)}});
    return out;
}

std::vector<OpCase> matmul_cases() {
    std::vector<OpCase> out;
    const std::vector<std::pair<Shape, Shape>> shapes = {
        {{2, 3}, {3, 4}}, {{2, 2, 3}, {3, 4}},    {{3}, {3, 2}},         {{2, 3}, {3}},
        {{3}, {3}},       {{1, 2, 3}, {2, 3, 2}}, {{2, 2, 3}, {2, 3, 2}}};
    int seed = 40;
    for (const auto& [sa, sb] : shapes)
        out.push_back({"matmul " + sa.str() + " " + sb.str(),
                       [](const Tensors& x) { return x[0].matmul(x[1]); },
                       {input(sa, ++seed), input(sb, ++seed)}});
    out.push_back({"matmul of a transposed operand",
                   [](const Tensors& x) { return x[0].t().matmul(x[1]); },
                   {input({3, 2}, 50), input({3, 2}, 51)}});
    return out;
}

std::vector<OpCase> reduction_and_view_cases() {
    const Input x = input({2, 3, 4}, 60);
    using T = const Tensors&;
    return {
        {"sum", [](T v) { return v[0].sum(); }, {x}},
        {"sum(1)", [](T v) { return v[0].sum(1); }, {x}},
        {"sum(0, keepdim)", [](T v) { return v[0].sum(0, true); }, {x}},
        {"mean", [](T v) { return v[0].mean(); }, {x}},
        {"mean(2, keepdim)", [](T v) { return v[0].mean(2, true); }, {x}},
        {"mean(-2)", [](T v) { return v[0].mean(-2); }, {x}},
        {"max", [](T v) { return v[0].max() * v[0]; }, {x}},
        {"max(1)", [](T v) { return v[0].max(1); }, {x}},
        {"max(2, keepdim)", [](T v) { return v[0].max(2, true) * v[0]; }, {x}},
        {"slice", [](T v) { return v[0].slice(2, 1, 4, 2); }, {x}},
        {"slice negative", [](T v) { return v[0].slice(1, -2, 3); }, {x}},
        {"select", [](T v) { return v[0].select(1, 2); }, {x}},
        {"transpose", [](T v) { return v[0].transpose(0, 2); }, {x}},
        {"reshape",
         [](T v) {
             return v[0].reshape({6, -1});
         },
         {x}},
        {"reshape of a transpose (a copy)",
         [](T v) {
             return v[0].transpose(1, 2).reshape({2, 12});
         },
         {x}},
        {"permute",
         [](T v) {
             return v[0].permute({2, 0, 1});
         },
         {x}},
        {"expand",
         [](T v) {
             return v[0].sum(1, true).expand({2, 5, 4});
         },
         {x}},
        {"unsqueeze squeeze flatten", [](T v) { return v[0].unsqueeze(1).squeeze(1).flatten(); }, {x}},
        {"contiguous", [](T v) { return v[0].transpose(0, 1).contiguous(); }, {x}},
        {"cat",
         [](T v) {
             return tapegrad::cat({v[0], v[1].t()}, 1);
         },
         {input({2, 3}, 61), input({2, 2}, 62)}},
        {"view of a view", [](T v) { return v[0].select(0, 1).t().slice(0, 1, 4); }, {x}},
    };
}

std::vector<OpCase> softmax_and_loss_cases() {
    using T = const Tensors&;
    const Input x = input({3, 4}, 70), t = input({3, 4}, 71), p = input({3, 4}, 72, 0.0, 1.0);
    return {
        {"softmax(1)", [](T v) { return v[0].softmax(1); }, {x}},
        {"softmax(0)", [](T v) { return v[0].softmax(0); }, {x}},
        {"log_softmax(1)", [](T v) { return v[0].log_softmax(1); }, {x}},
        {"log_softmax(0)", [](T v) { return v[0].log_softmax(0); }, {x}},
        {"softmax of a 3-d middle dim", [](T v) { return v[0].softmax(1); }, {input({2, 3, 2}, 73)}},
        {"mse_loss", [](T v) { return tapegrad::nn::mse_loss(v[0], v[1]); }, {x, t}},
        {"cross_entropy",
         [](T v) {
             return tapegrad::nn::cross_entropy(v[0], std::vector<std::int64_t>{2, 0, 3});
         },
         {x}},
        {"binary_cross_entropy_with_logits",
         [](T v) { return tapegrad::nn::binary_cross_entropy_with_logits(v[0], v[1]); },
         {x, p}},
    };
}

}  // namespace

TEST_CASE("tensor grad: elementwise unary ops to second order against finite differences") {
    for (const OpCase& c : unary_cases()) check(c);
}

TEST_CASE("tensor grad: binary ops with broadcasting to second order against finite differences") {
    for (const OpCase& c : binary_cases()) check(c);
}

TEST_CASE("tensor grad: matmul to second order against finite differences") {
    for (const OpCase& c : matmul_cases()) check(c);
}

TEST_CASE("tensor grad: sum, mean and views to second order against finite differences") {
    for (const OpCase& c : reduction_and_view_cases()) check(c);
}

TEST_CASE("tensor grad: softmax, log_softmax and the losses to second order against finite differences") {
    for (const OpCase& c : softmax_and_loss_cases()) check(c);
    MESSAGE("largest error: first order against backward " << worst_first << ", second order against finite "
                                                           << "differences " << worst_second);
}
