// Tensor grad with create_graph against PyTorch (float64, torch.autograd.grad with
// create_graph=True): first derivatives and Hessian-vector products of an MLP's losses, a
// softmax/elementwise mix, views with broadcasting, matmul's shapes, a gradient penalty and a
// physics-informed residual (d2u/dx2 inside the function), and a graph through Tensor::element
// and Tensor::from_values (PyTorch's indexing and torch.stack). The data comes from
// tests/data/torch_tensor_higher_order.txt, written by tests/gen_torch_tensor_higher_order.py; the
// functions below mirror the script's.
#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include <tapegrad/tapegrad.hpp>

#include "golden_file.hpp"

using tapegrad::DType;
using tapegrad::Shape;
using tapegrad::Tape;
using tapegrad::Tensor;
using Tensors = std::vector<Tensor>;

namespace {

using tapegrad::test::Golden;

const Golden& golden() {
    static const Golden data = tapegrad::test::read_golden("torch_tensor_higher_order.txt");
    return data;
}

const std::vector<double>& consts(const std::string& name) { return golden().at("consts").at(name); }
Tensor constant(const std::string& name, const Shape& shape) { return Tensor::from(consts(name), shape, DType::f64); }

std::vector<std::int64_t> labels() {
    std::vector<std::int64_t> out;
    for (double v : consts("labels")) out.push_back(static_cast<std::int64_t>(v));
    return out;
}

Tensor mlp_tanh_mse(const Tensors& p) {
    const Tensor h = (constant("x", {5, 3}).matmul(p[0]) + p[1]).tanh();
    return tapegrad::nn::mse_loss(h.matmul(p[2]) + p[3], constant("t", {5, 2}));
}

Tensor mlp_relu_ce(const Tensors& p) {
    const Tensor h = (constant("x", {5, 3}).matmul(p[0]) + p[1]).relu();
    return tapegrad::nn::cross_entropy(h.matmul(p[2]), labels());
}

Tensor softmax_mix(const Tensors& p) {
    const Tensor& x = p[0];
    const Tensor s = (x.softmax(1) * constant("c", {3, 4})).sum() + (x.log_softmax(0) * constant("d", {3, 4})).sum();
    const Tensor e = x.sigmoid().mean() + (x * 0.5).exp().sum(0).pow(2).sum() + x.sin().sum(1).mean();
    const Tensor q = ((x * x + 1.0).log() + (x * x + 0.5).sqrt() - x.cos() * 2.0 + x.abs() / 3.0).sum();
    return s + e + q + (1.5 / (x * x + 1.0)).mean();
}

Tensor views_broadcast(const Tensors& p) {
    const Tensor &a = p[0], &b = p[1], &m = p[2];
    const Tensor y = a.transpose(0, 2) * b.reshape({4, 1, 1});
    const Tensor z = y.slice(0, 1, 4, 2).reshape({2, 6}) / (m.t() + 2.0);
    const Tensor w = a.select(1, 2).unsqueeze(0) - b.slice(0, 0, 2).reshape({1, 2, 1});
    const Tensor u = w.tanh().sum(2);
    return (z * z).sum() + (u * m.slice(0, 0, 2).t().slice(1, 0, 1)).sum() +
           tapegrad::cat({a.reshape({-1}), b}, 0).pow(3).mean();
}

Tensor matmul_shapes(const Tensors& p) {
    const Tensor &a = p[0], &b = p[1], &v = p[2];
    const Tensor vec = b.t().matmul(v);
    return a.matmul(b).tanh().sum() + (vec * vec).sum() + v.matmul(v) * 0.25;
}

Tensor penalty_mlp(const Tensors& p) {
    const Tensor h = (p[4].matmul(p[0]) + p[1]).tanh();
    const Tensor loss = tapegrad::nn::mse_loss(h.matmul(p[2]) + p[3], constant("t", {5, 2}));
    const Tensor gx = tapegrad::grad(loss, {p[4]}, {.create_graph = true})[0];
    return (gx * gx).sum();
}

Tensor pinn(const Tensors& p) {
    const Tensor x = constant("px", {6, 1}).set_requires_grad();
    const Tensor u = (x.matmul(p[0]) + p[1]).tanh().matmul(p[2]);
    const Tensor du = tapegrad::grad(u.sum(), {x}, {.create_graph = true})[0];
    const Tensor d2u = tapegrad::grad(du.sum(), {x}, {.create_graph = true})[0];
    const Tensor r = d2u + u;
    return (r * r).mean();
}

Tensor mixed_values(const Tensors& p) {
    const tapegrad::HigherOrder guard;  // the scalar ops are differentiated twice
    const Tensor y = p[0].matmul(p[1]).tanh();
    const tapegrad::Value e = y.element({0, 0}) * y.element({1, 0}) + y.element({2, 0}).sin();
    const Tensor t =
        Tensor::from_values({e, p[0].element({0, 1}) * p[0].element({2, 0}), p[1].element({1, 0}).exp()}, {3, 1});
    return (t.tanh() * y).sum() + Tensor::from_values({e * e}, {});
}

const std::map<std::string, std::function<Tensor(const Tensors&)>> kCases = {
    {"mlp_tanh_mse", mlp_tanh_mse},
    {"mlp_relu_ce", mlp_relu_ce},
    {"softmax_mix", softmax_mix},
    {"views_broadcast", views_broadcast},
    {"matmul_shapes", matmul_shapes},
    {"penalty_mlp", penalty_mlp},
    {"pinn", pinn},
    {"mixed_values", mixed_values},
};

// |a - b| / max(1, |b|), the largest over the elements.
double error(const std::vector<double>& a, const std::vector<double>& b) {
    REQUIRE(a.size() == b.size());
    double worst = 0.0;
    for (std::size_t i = 0; i < a.size(); ++i)
        worst = std::max(worst, std::fabs(a[i] - b[i]) / std::max(1.0, std::fabs(b[i])));
    return worst;
}

}  // namespace

TEST_CASE("tensor grad with create_graph matches PyTorch's first derivatives and Hessian-vector products") {
    double worst_grad = 0.0, worst_hvp = 0.0;
    for (const auto& named_case : kCases) {
        const std::string& name = named_case.first;
        const auto& f = named_case.second;
        CAPTURE(name);
        const auto& roles = golden().at(name);
        Tape::current().clear();
        Tensors inputs, directions;
        for (std::size_t k = 0; roles.contains("shape:" + std::to_string(k)); ++k) {
            std::vector<std::int64_t> sizes;
            for (double s : roles.at("shape:" + std::to_string(k))) sizes.push_back(static_cast<std::int64_t>(s));
            inputs.push_back(Tensor::from(roles.at("in:" + std::to_string(k)), sizes, DType::f64, true));
            directions.push_back(Tensor::from(roles.at("v:" + std::to_string(k)), sizes, DType::f64));
        }
        const Tensor y = f(inputs);
        CHECK(error({y.item()}, roles.at("value")) < 1e-13);
        const Tensors g = tapegrad::grad(y, inputs, {.create_graph = true});
        Tensor inner = (g[0] * directions[0]).sum();
        for (std::size_t k = 1; k < g.size(); ++k) inner = inner + (g[k] * directions[k]).sum();
        const Tensors hvp = tapegrad::grad(inner, inputs, {.allow_unused = true});
        for (std::size_t k = 0; k < inputs.size(); ++k) {
            CAPTURE(k);
            const double eg = error(g[k].to_vector(), roles.at("grad:" + std::to_string(k)));
            const std::vector<double> h = hvp[k].defined()
                                              ? hvp[k].to_vector()
                                              : std::vector<double>(static_cast<std::size_t>(inputs[k].numel()));
            const double eh = error(h, roles.at("hvp:" + std::to_string(k)));
            CHECK(eg < 1e-12);
            CHECK(eh < 1e-11);
            worst_grad = std::max(worst_grad, eg);
            worst_hvp = std::max(worst_hvp, eh);
            CHECK(inputs[k].grad().to_vector() == std::vector<double>(static_cast<std::size_t>(inputs[k].numel())));
        }
    }
    MESSAGE("largest error against PyTorch: grad " << worst_grad << ", Hessian-vector product " << worst_hvp);
    Tape::current().clear();
}
