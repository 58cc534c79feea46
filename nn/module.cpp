// Tensor modules: parameter registration and traversal, Linear, Sequential, state.
#include "tapegrad/nn/module.hpp"

#include "tapegrad/error.hpp"

namespace tapegrad::nn {

std::vector<Tensor> Module::parameters() const {
    std::vector<Tensor> out;
    for (auto& [name, t] : named_parameters()) out.push_back(t);
    return out;
}

std::vector<std::pair<std::string, Tensor>> Module::named_parameters() const {
    std::vector<std::pair<std::string, Tensor>> out;
    collect("", out);
    return out;
}

void Module::collect(const std::string& prefix, std::vector<std::pair<std::string, Tensor>>& out) const {
    for (const auto& [name, t] : params_) out.emplace_back(prefix + name, t);
    for (const auto& [name, m] : children_) m->collect(prefix + name + ".", out);
}

void Module::train(bool on) {
    training_ = on;
    for (auto& [name, m] : children_) m->train(on);
}

void Module::zero_grad() {
    for (auto& [name, t] : named_parameters()) t.zero_grad();
}

Tensor& Module::register_parameter(std::string name, Tensor t) {
    for (const auto& [n, p] : params_)
        if (n == name) throw Error("register_parameter: '" + name + "' is already registered in " + describe());
    t.set_requires_grad(true);
    params_.emplace_back(std::move(name), std::move(t));
    return params_.back().second;
}

void Module::register_module(std::string name, std::shared_ptr<Module> m) {
    if (!m) throw Error("register_module: '" + name + "' is null");
    children_.emplace_back(std::move(name), std::move(m));
}

Checkpoint Module::state() const {
    Checkpoint arrays;
    for (const auto& [name, t] : named_parameters()) {
        SavedArray a;
        a.name = name;
        a.type = t.dtype();
        for (std::int64_t d : t.shape()) a.shape.push_back(static_cast<std::size_t>(d));
        a.values = t.to_vector();
        arrays.push_back(std::move(a));
    }
    return arrays;
}

void Module::load_state(const Checkpoint& arrays) {
    const Checkpoint ordered = match_arrays(state(), arrays, describe());  // throws before any change
    const auto params = named_parameters();
    NoGrad no_grad;
    for (std::size_t i = 0; i < params.size(); ++i) {
        Tensor t = params[i].second;
        t.copy_(Tensor::from(ordered[i].values, Shape(t.shape()), t.dtype()));
    }
}

// ---- Linear

Linear::Linear(std::int64_t in, std::int64_t out, bool bias, DType dtype, Generator& gen) : in_(in), out_(out) {
    if (in < 1 || out < 1)
        throw Error("Linear: in and out must be at least 1, got in=" + std::to_string(in) +
                    ", out=" + std::to_string(out));
    const double bound = kaiming_uniform_bound(in);
    std::vector<double> w(static_cast<std::size_t>(in * out));
    for (double& v : w) v = uniform(gen, -bound, bound);
    weight_ = register_parameter("weight", Tensor::from(w, {out, in}, dtype));
    if (bias) {
        std::vector<double> b(static_cast<std::size_t>(out));
        for (double& v : b) v = uniform(gen, -bound, bound);
        bias_ = register_parameter("bias", Tensor::from(b, {out}, dtype));
    }
}

Tensor Linear::forward(const Tensor& x) {
    if (x.dim() < 1 || x.size(-1) != in_)
        throw Error("Linear: expected input with last dim " + std::to_string(in_) + ", got shape " +
                    Shape(x.shape()).str() + " (" + describe() + ")");
    Tensor y = x.matmul(weight_.t());
    return bias_.defined() ? y + bias_ : y;
}

std::string Linear::describe() const {
    return "Linear(in=" + std::to_string(in_) + ", out=" + std::to_string(out_) +
           (bias_.defined() ? "" : ", bias=false") + ")";
}

// ---- Sequential

void Sequential::push_back(std::shared_ptr<Module> m) {
    register_module(std::to_string(children().size()), std::move(m));
}

Tensor Sequential::forward(const Tensor& x) {
    Tensor h = x;
    for (const auto& [name, m] : children()) h = m->forward(h);
    return h;
}

std::string Sequential::describe() const {
    std::string d = "Sequential(";
    for (std::size_t i = 0; i < children().size(); ++i) d += (i ? ", " : "") + children()[i].second->describe();
    return d + ")";
}

void save(const Module& module, const std::string& path) { tapegrad::save(module.state(), path); }

void load(Module& module, const std::string& path) { module.load_state(tapegrad::load(path)); }

}  // namespace tapegrad::nn
