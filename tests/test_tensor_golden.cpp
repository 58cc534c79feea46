// Tensor ops against PyTorch: values and gradients made by tests/gen_torch_golden.py and kept in
// tests/data/torch_golden.txt (see the script for the format). Each case here mirrors the
// script's function of the same name.
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <tapegrad/tapegrad.hpp>

using tapegrad::DType;
using tapegrad::Shape;
using tapegrad::Tape;
using tapegrad::Tensor;

namespace {

struct Record {
    DType dtype = DType::f64;
    Shape shape;
    std::vector<double> values;
};

struct Case {
    std::map<int, Record> in, out, grad;
};

std::map<std::string, Case> load() {
    std::ifstream file(std::string(TAPEGRAD_TEST_DATA) + "/torch_golden.txt");
    REQUIRE(file.good());
    std::map<std::string, Case> cases;
    std::string line;
    while (std::getline(file, line)) {
        if (line.empty() || line[0] == '#') continue;
        std::istringstream is(line);
        std::string name, role, dtype;
        int index = 0, ndim = 0;
        is >> name >> role >> index >> dtype >> ndim;
        Record r;
        r.dtype = dtype == "float32" ? DType::f32 : DType::f64;
        for (int d = 0; d < ndim; ++d) {
            std::int64_t s = 0;
            is >> s;
            r.shape.push_back(s);
        }
        double v = 0;
        while (is >> v) r.values.push_back(v);
        Case& c = cases[name];
        (role == "in" ? c.in : role == "out" ? c.out : c.grad)[index] = r;
    }
    return cases;
}

using Fn = std::function<Tensor(const std::vector<Tensor>&)>;
using L = std::vector<std::int64_t>;

const std::map<std::string, Fn>& functions() {
    static const std::map<std::string, Fn> fns = {
        {"tanh", [](auto& v) { return v[0].tanh(); }},
        {"sigmoid", [](auto& v) { return v[0].sigmoid(); }},
        {"relu", [](auto& v) { return v[0].relu(); }},
        {"exp", [](auto& v) { return v[0].exp(); }},
        {"log", [](auto& v) { return v[0].log(); }},
        {"sqrt", [](auto& v) { return v[0].sqrt(); }},
        {"abs", [](auto& v) { return v[0].abs(); }},
        {"pow", [](auto& v) { return v[0].pow(2.5); }},
        {"scalar_ops", [](auto& v) { return (2.0 - v[0] * 3.0 + 1.0) / 4.0 - 1.5 / v[0]; }},
        {"add_bcast", [](auto& v) { return v[0] + v[1]; }},
        {"sub_0d", [](auto& v) { return v[0] - v[1]; }},
        {"mul_bcast", [](auto& v) { return v[0] * v[1]; }},
        {"div_bcast", [](auto& v) { return v[0] / v[1]; }},
        {"matmul", [](auto& v) { return v[0].matmul(v[1]); }},
        {"matmul_f32", [](auto& v) { return v[0].matmul(v[1]); }},
        {"matmul_batched", [](auto& v) { return v[0].matmul(v[1]); }},
        {"matmul_shared", [](auto& v) { return v[0].matmul(v[1]); }},
        {"matmul_t", [](auto& v) { return v[0].t().matmul(v[1].t()); }},
        {"sum", [](auto& v) { return v[0].sum(); }},
        {"sum_dim", [](auto& v) { return v[0].sum(1, true); }},
        {"mean_dim", [](auto& v) { return v[0].mean(0); }},
        {"mean", [](auto& v) { return v[0].mean(); }},
        {"max", [](auto& v) { return v[0].max(); }},
        {"max_dim", [](auto& v) { return v[0].max(2); }},
        {"reshape_t",
         [](auto& v) {
             return v[0].transpose(0, 1).reshape({4, 3}) * v[0].reshape({4, 3});
         }},
        {"slice", [](auto& v) { return v[0].slice(1, 1, 4, 2).exp(); }},
        {"cat",
         [](auto& v) {
             return tapegrad::cat({v[0], v[1].tanh(), v[0]}, 1);
         }},
        {"softmax", [](auto& v) { return v[0].softmax(1); }},
        {"softmax_f32", [](auto& v) { return v[0].softmax(0); }},
        {"log_softmax", [](auto& v) { return v[0].log_softmax(0); }},
        {"log_softmax_big", [](auto& v) { return (v[0] * 100.0).log_softmax(1); }},
        {"mse", [](auto& v) { return tapegrad::nn::mse_loss(v[0], v[1]); }},
        {"bce", [](auto& v) { return tapegrad::nn::binary_cross_entropy_with_logits(v[0], v[1]); }},
        {"cross_entropy",
         [](auto& v) {
             return tapegrad::nn::cross_entropy(v[0], L{2, 0, 4, 1});
         }},
        {"cross_entropy_f32",
         [](auto& v) {
             return tapegrad::nn::cross_entropy(v[0], L{1, 1, 0});
         }},
        {"snippet",
         [](auto& v) {
             Tensor c = (v[0].matmul(v[1]) + 1.0).tanh() * v[0].sum(1, true);
             return tapegrad::nn::cross_entropy(c, L{0, 3});
         }},
        {"mlp",
         [](auto& v) {
             return tapegrad::nn::cross_entropy((v[0].matmul(v[1]) + v[2]).relu().matmul(v[3]), L{1, 0, 2});
         }},
    };
    return fns;
}

void compare(const std::string& what, const Tensor& got, const Record& want) {
    INFO(what);
    CHECK(Shape(got.sizes()) == want.shape);
    CHECK(got.dtype() == want.dtype);
    const std::vector<double> g = got.to_vector();
    REQUIRE(g.size() == want.values.size());
    // float64 agrees to rounding; float32 kernels (and PyTorch's) round at about 1e-7 relative
    const double tol = want.dtype == DType::f32 ? 2e-5 : 1e-11;
    for (std::size_t i = 0; i < g.size(); ++i) {
        INFO("element " << i << ": got " << g[i] << ", PyTorch " << want.values[i]);
        CHECK(std::fabs(g[i] - want.values[i]) <= tol * std::max(1.0, std::fabs(want.values[i])));
    }
}

}  // namespace

TEST_CASE("tensor golden: values and gradients agree with PyTorch") {
    const std::map<std::string, Case> cases = load();
    CHECK(cases.size() == functions().size());
    for (const auto& entry : cases) {
        const std::string& name = entry.first;
        const Case& c = entry.second;
        INFO("case " << name);
        const auto fn = functions().find(name);
        REQUIRE(fn != functions().end());
        Tape::current().clear();
        std::vector<Tensor> inputs;
        for (const auto& [i, r] : c.in) inputs.push_back(Tensor::from(r.values, r.shape, r.dtype, true));
        Tensor y = fn->second(inputs);
        compare(name + " out", y, c.out.at(0));
        std::vector<double> w;
        for (std::int64_t i = 0; i < y.numel(); ++i)
            w.push_back(y.numel() == 1 ? 1.0 : 1.0 + 0.1 * static_cast<double>(i));
        (y * Tensor::from(w, Shape(y.sizes()), y.dtype())).sum().backward();
        for (const auto& [i, r] : c.grad)
            compare(name + " grad " + std::to_string(i), inputs[static_cast<std::size_t>(i)].grad(), r);
    }
    Tape::current().clear();
}
