// Every rule in the scalar op table, differentiated twice and three times by create_graph, against
// central differences of its first derivative (the rule's own partial on doubles, which
// test_op_list.cpp checks) and of the second derivative the engine gives. An op added to the
// list is checked here at once.
#include <cmath>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include <tapegrad/tapegrad.hpp>

#include "rule_points.hpp"

using tapegrad::HigherOrder;
using tapegrad::Tape;
using tapegrad::Value;

namespace {

using tapegrad::test::five_point;
using tapegrad::test::is_binary_rule;
using tapegrad::test::is_unary_rule;
using tapegrad::test::kConstant;
using tapegrad::test::points;

bool near(double analytic, double numeric) { return tapegrad::test::near(analytic, numeric, 1e-7); }

// The derivatives of y(args) with respect to args, differentiated `order` times along args[0]
// first: order 1 gives the gradient, 2 the first row of the Hessian, 3 d/dx0 of that row.
template <class Make> std::vector<double> derivative_row(Make make, std::vector<double> at, int order) {
    Tape& tape = Tape::current();
    tape.clear();
    HigherOrder guard;
    std::vector<Value> x(at.begin(), at.end());
    Value d = make(x);
    std::vector<Value> row;
    for (int k = 0; k < order; ++k) {
        if (!d.valid()) {  // a constant: every further derivative is 0
            row.assign(x.size(), Value());
            break;
        }
        row = tapegrad::grad(d, x, {.create_graph = true, .allow_unused = true});
        d = row[0];
    }
    std::vector<double> out;
    for (const Value& v : row) out.push_back(v.valid() ? v.data() : 0.0);
    tape.clear();
    return out;
}

}  // namespace

TEST_CASE("every rule in the scalar op table: second and third derivatives by create_graph") {
    int rules = 0;
    tapegrad::detail::ScalarOps::for_each([&]<class Rule>() {
        if constexpr (is_unary_rule<Rule>) {
            ++rules;
            const auto make = [](const std::vector<Value>& x) {
                return tapegrad::detail::record_unary<Rule>(x[0], kConstant);
            };
            for (double x : points(Rule::domain)) {
                CAPTURE(std::string(Rule::name));
                CAPTURE(x);
                const auto first = [](double t) { return Rule::partial(t, Rule::value(t, kConstant), kConstant); };
                const double second = derivative_row(make, {x}, 2)[0];
                CHECK(near(second, five_point(first, x)));
                const auto second_at = [&](double t) { return derivative_row(make, {t}, 2)[0]; };
                CHECK(near(derivative_row(make, {x}, 3)[0], five_point(second_at, x)));
            }
        } else if constexpr (is_binary_rule<Rule>) {
            ++rules;
            const auto make = [](const std::vector<Value>& x) {
                return tapegrad::detail::record_binary<Rule>(x[0], x[1]);
            };
            for (double a : points(Rule::domain))
                for (double b : points(Rule::domain)) {
                    CAPTURE(std::string(Rule::name));
                    CAPTURE(a);
                    CAPTURE(b);
                    const auto da = [](double s, double t) { return Rule::da(s, t, Rule::value(s, t)); };
                    const std::vector<double> row = derivative_row(make, {a, b}, 2);  // d2/da2, d2/da db
                    CHECK(near(row[0], five_point([&](double s) { return da(s, b); }, a)));
                    CHECK(near(row[1], five_point([&](double t) { return da(a, t); }, b)));
                    const std::vector<double> third = derivative_row(make, {a, b}, 3);  // d3/da3, d3/da2 db
                    CHECK(near(third[0], five_point([&](double s) { return derivative_row(make, {s, b}, 2)[0]; }, a)));
                    CHECK(near(third[1], five_point([&](double t) { return derivative_row(make, {a, t}, 2)[0]; }, b)));
                }
        }
    });
    CHECK(rules == tapegrad::detail::ScalarOps::count - 3);  // every entry is a rule but leaf, sum and dot
}

TEST_CASE("every unary method on Values, fused outside HigherOrder and not inside it, has the same first derivative") {
#define CHECK_BOTH_WAYS(method, Rule)                                                                               \
    for (double x : points(tapegrad::ops::Rule::domain)) {                                                          \
        CAPTURE(#method);                                                                                           \
        CAPTURE(x);                                                                                                 \
        Tape& tape = Tape::current();                                                                               \
        tape.clear();                                                                                               \
        Value a = x;                                                                                                \
        (a * 2.0).method().backward();                                                                              \
        const double fused = a.grad();                                                                              \
        tape.clear();                                                                                               \
        HigherOrder guard;                                                                                          \
        Value b = x;                                                                                                \
        CHECK(tapegrad::grad((b * 2.0).method(), {b})[0].data() == fused);                                          \
        CHECK(tapegrad::grad((b * 2.0).method(), {b}, {.create_graph = true})[0].data() == doctest::Approx(fused)); \
        tape.clear();                                                                                               \
    }
    TAPEGRAD_UNARY_OPS(CHECK_BOTH_WAYS)
#undef CHECK_BOTH_WAYS
}
