// Tensor modules in the spirit of libtorch's C++ frontend: Module, Linear, ReLU, Tanh, Sigmoid,
// Sequential.
//
//     nn::Sequential model(nn::Linear(2, 64), nn::ReLU(), nn::Linear(64, 3));
//     Tensor logits = model(x);                        // x: [batch, 2]
//     optim::Adam opt(model.parameters(), 1e-2);
//
// A module holds its parameters as Tensors (reference-counted leaves that require grad) and its
// submodules; modules are move-only (copying is deleted: a copy would silently share weights).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "tapegrad/checkpoint.hpp"
#include "tapegrad/nn/init.hpp"
#include "tapegrad/tensor.hpp"

namespace tapegrad::nn {

/// The base of every tensor module: named parameters, named submodules, train/eval mode.
class Module {
public:
    Module() = default;
    virtual ~Module() = default;
    Module(Module&&) noexcept = default;
    Module& operator=(Module&&) noexcept = default;
    Module(const Module&) = delete;
    Module& operator=(const Module&) = delete;

    /// The module's computation.
    virtual Tensor forward(const Tensor& x) = 0;
    Tensor operator()(const Tensor& x) { return forward(x); }

    /// Every parameter, this module's first, then each submodule's in registration order.
    std::vector<Tensor> parameters() const;
    /// The same with dotted names, as PyTorch: "0.weight", "0.bias", "2.weight", ...
    std::vector<std::pair<std::string, Tensor>> named_parameters() const;
    /// Sets training mode here and in every submodule (no module of tapegrad's behaves
    /// differently yet; custom modules may read is_training()).
    void train(bool on = true);
    void eval() { train(false); }
    bool is_training() const { return training_; }
    /// Every parameter's grad set to zero.
    void zero_grad();
    /// A one-line description, e.g. "Linear(in=2, out=16)".
    virtual std::string describe() const = 0;

    /// The parameters as named arrays (f32 or f64 as the tensors are).
    Checkpoint state() const;
    /// Copies arrays named as state() names them into the parameters. Everything is checked
    /// first: on Error (naming what differs) the module is unchanged.
    void load_state(const Checkpoint& arrays);

protected:
    /// Adds a parameter (made to require grad) and returns its handle.
    Tensor& register_parameter(std::string name, Tensor t);
    /// Adds a submodule.
    void register_module(std::string name, std::shared_ptr<Module> m);
    const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& children() const { return children_; }

private:
    void collect(const std::string& prefix, std::vector<std::pair<std::string, Tensor>>& out) const;
    std::vector<std::pair<std::string, Tensor>> params_;
    std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
    bool training_ = true;
};

/// y = x W^T + b, W of shape [out, in], b of shape [out]; both start uniform in
/// (-1/sqrt(in), 1/sqrt(in)), PyTorch's default (Kaiming-uniform with a = sqrt(5)).
class Linear : public Module {
public:
    Linear(std::int64_t in, std::int64_t out, bool bias = true, DType dtype = DType::f32,
           Generator& gen = default_generator());
    Tensor forward(const Tensor& x) override;
    std::string describe() const override;
    const Tensor& weight() const { return weight_; }
    const Tensor& bias() const { return bias_; }  ///< undefined when made without a bias
    std::int64_t in_features() const { return in_; }
    std::int64_t out_features() const { return out_; }

private:
    std::int64_t in_, out_;
    Tensor weight_, bias_;  // handles to the registered parameters (same tensors)
};

/// max(x, 0) elementwise.
class ReLU : public Module {
public:
    Tensor forward(const Tensor& x) override { return x.relu(); }
    std::string describe() const override { return "ReLU()"; }
};
/// tanh(x) elementwise.
class Tanh : public Module {
public:
    Tensor forward(const Tensor& x) override { return x.tanh(); }
    std::string describe() const override { return "Tanh()"; }
};
/// 1 / (1 + exp(-x)) elementwise.
class Sigmoid : public Module {
public:
    Tensor forward(const Tensor& x) override { return x.sigmoid(); }
    std::string describe() const override { return "Sigmoid()"; }
};

/// Modules applied in order; submodules are named "0", "1", ...
class Sequential : public Module {
public:
    Sequential() = default;
    template <class... M>
        requires(sizeof...(M) > 0 && (std::is_base_of_v<Module, std::decay_t<M>> && ...))
    explicit Sequential(M&&... modules) {
        (push_back(std::make_shared<std::decay_t<M>>(std::forward<M>(modules))), ...);
    }
    /// Appends a module.
    void push_back(std::shared_ptr<Module> m);
    template <class M>
        requires std::is_base_of_v<Module, std::decay_t<M>>
    void push_back(M&& m) { push_back(std::make_shared<std::decay_t<M>>(std::forward<M>(m))); }
    Tensor forward(const Tensor& x) override;
    std::string describe() const override;  ///< "Sequential(Linear(in=2, out=16), ReLU(), ...)"
    std::size_t size() const { return children().size(); }
    Module& operator[](std::size_t i) const { return *children().at(i).second; }
};

/// Saves module.state() to `path` atomically (see tapegrad::save).
void save(const Module& module, const std::string& path);
/// Loads `path` into `module`; on Error (another architecture, truncation, corruption) the
/// module is unchanged.
void load(Module& module, const std::string& path);

}  // namespace tapegrad::nn
