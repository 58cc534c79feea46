// Every elementwise rule, found by iterating the op lists themselves (the scalar op table and
// TAPEGRAD_UNARY_OPS), checked against float64 finite differences over the rule's own domain. An
// op added without a domain does not compile here; an op added to the lists is checked at once.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include <tapegrad/tapegrad.hpp>

#include "check_gradients.hpp"
#include "rule_points.hpp"

using tapegrad::DType;
using tapegrad::Tape;
using tapegrad::Tensor;
using tapegrad::Value;
using V = std::vector<Value>;

namespace {

using tapegrad::test::five_point;
using tapegrad::test::is_binary_rule;
using tapegrad::test::is_unary_rule;
using tapegrad::test::kConstant;
using tapegrad::test::points;

bool near(double analytic, double numeric) {
    return tapegrad::test::near(analytic, numeric, tapegrad::test::kGradTolerance);
}

}  // namespace

TEST_CASE("every rule in the scalar op table: its derivative is the derivative of its value") {
    int rules = 0;
    tapegrad::detail::ScalarOps::for_each([&]<class Rule>() {
        if constexpr (is_unary_rule<Rule>) {
            ++rules;
            for (double x : points(Rule::domain)) {
                CAPTURE(Rule::name);
                CAPTURE(x);
                const double y = Rule::value(x, kConstant);
                const double numeric = five_point([](double t) { return Rule::value(t, kConstant); }, x);
                CHECK(near(Rule::partial(x, y, kConstant), numeric));
            }
        } else if constexpr (is_binary_rule<Rule>) {
            ++rules;
            for (double a : points(Rule::domain))
                for (double b : points(Rule::domain)) {
                    CAPTURE(Rule::name);
                    CAPTURE(a);
                    CAPTURE(b);
                    const double y = Rule::value(a, b);
                    CHECK(near(Rule::da(a, b, y), five_point([b](double t) { return Rule::value(t, b); }, a)));
                    CHECK(near(Rule::db(a, b, y), five_point([a](double t) { return Rule::value(a, t); }, b)));
                }
        }
    });
    CHECK(rules == tapegrad::detail::ScalarOps::count - 3);  // every entry is a rule but leaf, sum and dot
}

TEST_CASE("every unary method passes the finite-difference check on Values, fused or not") {
#define CHECK_SCALAR_METHOD(method, Rule)                                                       \
    for (double x : points(tapegrad::ops::Rule::domain)) {                                      \
        CAPTURE(#method);                                                                       \
        CAPTURE(x);                                                                             \
        tapegrad::test::check_gradients([](const V& v) { return v[0].method(); }, {x});         \
        tapegrad::test::check_gradients([](const V& v) { return (v[0] * 1.0).method(); }, {x}); \
    }
    TAPEGRAD_UNARY_OPS(CHECK_SCALAR_METHOD)
#undef CHECK_SCALAR_METHOD
}

TEST_CASE("every unary method passes the finite-difference check on float64 tensors") {
#define CHECK_TENSOR_METHOD(method, Rule)                                                               \
    {                                                                                                   \
        CAPTURE(#method);                                                                               \
        const std::vector<double> xs = points(tapegrad::ops::Rule::domain);                             \
        const auto n = static_cast<std::int64_t>(xs.size());                                            \
        Tape::current().clear();                                                                        \
        Tensor x = Tensor::from(xs, {n}, DType::f64, true);                                             \
        x.method().sum().backward();                                                                    \
        const std::vector<double> grad = x.grad().to_vector();                                          \
        for (std::size_t i = 0; i < xs.size(); ++i) {                                                   \
            const auto f = [](double t) { return Tensor::from({t}, {1}, DType::f64).method().item(); }; \
            CAPTURE(xs[i]);                                                                             \
            CHECK(near(grad[i], five_point(f, xs[i])));                                                 \
        }                                                                                               \
    }
    TAPEGRAD_UNARY_OPS(CHECK_TENSOR_METHOD)
#undef CHECK_TENSOR_METHOD
    Tape::current().clear();
}

TEST_CASE("a Value method and its Tensor method compute the same values and derivatives") {
#define CHECK_SAME(method, Rule)                             \
    for (double x : points(tapegrad::ops::Rule::domain)) {   \
        CAPTURE(#method);                                    \
        CAPTURE(x);                                          \
        Tape::current().clear();                             \
        Value v = x;                                         \
        Value y = v.method();                                \
        y.backward();                                        \
        Tensor t = Tensor::from({x}, {1}, DType::f64, true); \
        Tensor u = t.method();                               \
        u.sum().backward();                                  \
        CHECK(u.item() == y.data());                         \
        CHECK(t.grad().item() == v.grad());                  \
    }
    TAPEGRAD_UNARY_OPS(CHECK_SAME)
#undef CHECK_SAME
    Tape::current().clear();
}
