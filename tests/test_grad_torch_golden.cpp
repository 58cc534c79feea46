// First, second and third derivatives by create_graph against PyTorch's (float64,
// torch.autograd.grad with create_graph=True), read from tests/data/torch_higher_order.txt, which
// tests/gen_torch_higher_order.py writes. The functions below mirror the script's cases.
#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include <tapegrad/tapegrad.hpp>

#include "golden_file.hpp"

using tapegrad::Tape;
using tapegrad::Value;
using Values = std::vector<Value>;

namespace {

Value article(const Values& w) {
    const double x1 = 0.35, x2 = 0.7, t = 0.5;
    const Value y3 = (w[0] * x1 + w[1] * x2).sigmoid();
    const Value y4 = (w[2] * x1 + w[3] * x2).sigmoid();
    const Value y5 = (w[4] * y3 + w[5] * y4).sigmoid();
    return 0.5 * (y5 - t).pow(2);
}

const std::map<std::string, std::function<Value(const Values&)>> kCases = {
    {"tanh_mul", [](const Values& x) { return (x[0] * x[1] + x[2]).tanh() * x[0]; }},
    {"sigmoid_exp", [](const Values& x) { return (x[0] - x[1]).sigmoid() * x[2].exp(); }},
    {"log_sqrt", [](const Values& x) { return (x[0] * x[0] + 1.0).log() + (x[1] * x[1] + 0.5).sqrt() * x[2]; }},
    {"pow", [](const Values& x) { return x[0].pow(2.5) * x[1] + x[0].pow(x[1]); }},
    {"div", [](const Values& x) { return (x[0] - 2.0) / (x[1] * x[1] + 1.0) + 3.0 / x[2] - x[2] / 4.0; }},
    {"sin_cos", [](const Values& x) { return (x[0] * x[1]).sin() * x[2].cos() - x[1]; }},
    {"relu_abs", [](const Values& x) { return x[0].relu() * x[1] * x[1] + x[2].abs() * x[0]; }},
    {"neg_consts", [](const Values& x) { return -(1.5 - x[0] * x[1]) * x[2] + (x[0] + 2.0) * 3.0; }},
    {"sum_dot",
     [](const Values& x) {
         return tapegrad::sum({x[0], x[1] * x[2], x[2]}) * tapegrad::dot(Values{x[0], x[1]}, Values{x[1], x[2]});
     }},
    {"article", article},
};

double value_or_zero(const Value& v) { return v.valid() ? v.data() : 0.0; }

}  // namespace

TEST_CASE("create_graph matches PyTorch's double and triple backward in float64") {
    const auto golden = tapegrad::test::read_golden("torch_higher_order.txt");
    REQUIRE(golden.size() == kCases.size());
    double worst = 0.0;
    Tape& tape = Tape::current();
    for (const auto& entry : golden) {
        const auto& name = entry.first;  // not structured bindings: clang 14's lambdas cannot capture those
        const auto& roles = entry.second;
        CAPTURE(name);
        tape.clear();
        tapegrad::HigherOrder guard;
        const std::vector<double>& in = roles.at("in");
        const std::size_t n = in.size();
        const Values x(in.begin(), in.end());
        const Value y = kCases.at(name)(x);
        std::vector<double> grad, hessian, third;
        const Values g = tapegrad::grad(y, x, {.create_graph = true, .allow_unused = true});
        for (std::size_t i = 0; i < n; ++i) {
            grad.push_back(value_or_zero(g[i]));
            const Values row =
                g[i].valid() ? tapegrad::grad(g[i], x, {.create_graph = true, .allow_unused = true}) : Values(n);
            for (std::size_t j = 0; j < n; ++j) {
                hessian.push_back(value_or_zero(row[j]));
                const Values t = row[j].valid() ? tapegrad::grad(row[j], x, {.allow_unused = true}) : Values(n);
                for (std::size_t k = 0; k < n; ++k) third.push_back(value_or_zero(t[k]));
            }
        }
        const auto compare = [&](const char* role, const std::vector<double>& ours) {
            const std::vector<double>& theirs = roles.at(role);
            REQUIRE(ours.size() == theirs.size());
            for (std::size_t k = 0; k < ours.size(); ++k) {
                const double error = std::fabs(ours[k] - theirs[k]) / std::max(1.0, std::fabs(theirs[k]));
                worst = std::max(worst, error);
                CAPTURE(role);
                CAPTURE(k);
                CHECK(error < 1e-13);
            }
        };
        compare("value", {y.data()});
        compare("grad", grad);
        compare("hessian", hessian);
        compare("third", third);
    }
    tape.clear();
    MESSAGE("largest relative difference from PyTorch (value, gradient, Hessian, third derivatives): " << worst);
}
