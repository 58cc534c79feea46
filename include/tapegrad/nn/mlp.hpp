// Scalar neural networks with micrograd's API: Neuron, Layer and MLP built from Values.
//
// Each weight is a parameter Value (Value::parameter), so it survives Tape::current().clear()
// between steps. A module owns its parameters and releases them in its destructor; modules are
// therefore move-only (copying is deleted), and clone() makes an independent deep copy.
//
//     tapegrad::nn::MLP model(2, {16, 16, 1});        // ReLU, ReLU, linear
//     auto out = model({tapegrad::Value(0.5), tapegrad::Value(-1.0)});
#pragma once

#include <cstddef>
#include <initializer_list>
#include <span>
#include <string>
#include <vector>

#include "tapegrad/checkpoint.hpp"
#include "tapegrad/nn/init.hpp"
#include "tapegrad/value.hpp"

namespace tapegrad::nn {

/// One unit: relu(w . x + b), or w . x + b when linear. Weights uniform in (-1, 1), bias 0
/// (as micrograd).
class Neuron {
public:
    /// `nonlin`: ReLU after the affine map. Weights are drawn from `gen`.
    explicit Neuron(std::size_t nin, bool nonlin = true, Generator& gen = default_generator());
    ~Neuron();
    Neuron(Neuron&& other) noexcept;
    Neuron& operator=(Neuron&& other) noexcept;
    Neuron(const Neuron&) = delete;  ///< move-only: use clone() for a deep copy
    Neuron& operator=(const Neuron&) = delete;

    /// relu(w . x + b), recorded as one dot node, one add and one relu. Raises Error if
    /// x.size() != nin().
    Value operator()(const std::vector<Value>& x) const { return (*this)(std::span<const Value>(x)); }
    Value operator()(std::span<const Value> x) const;
    /// The weights, then the bias.
    std::vector<Value> parameters() const;
    /// Every parameter's grad set to 0.
    void zero_grad();
    /// A deep copy: new parameters with the same data (grads zero).
    Neuron clone() const;

    std::size_t nin() const { return w_.size(); }
    bool nonlin() const { return nonlin_; }
    const std::vector<Value>& weights() const { return w_; }
    const Value& bias() const { return b_; }

private:
    Neuron() = default;
    void release() noexcept;
    std::vector<Value> w_;
    Value b_;
    bool nonlin_ = true;
};

/// nout neurons reading the same nin inputs.
class Layer {
public:
    Layer(std::size_t nin, std::size_t nout, bool nonlin = true, Generator& gen = default_generator());
    Layer(Layer&&) noexcept = default;
    Layer& operator=(Layer&&) noexcept = default;
    Layer(const Layer&) = delete;  ///< move-only: use clone() for a deep copy
    Layer& operator=(const Layer&) = delete;
    /// Each neuron's output, in order.
    std::vector<Value> operator()(const std::vector<Value>& x) const;
    /// The same into `out` (nout() handles the caller keeps from call to call): no allocation.
    /// Raises Error if x.size() != nin() or out.size() != nout().
    void forward(std::span<const Value> x, std::span<Value> out) const;
    /// Neuron by neuron, each one's weights then bias.
    std::vector<Value> parameters() const;
    void zero_grad();
    Layer clone() const;

    std::size_t nin() const { return nin_; }
    std::size_t nout() const { return neurons_.size(); }
    const std::vector<Neuron>& neurons() const { return neurons_; }

private:
    friend class MLP;  // its forward runs the layers' loops inline
    Layer() = default;
    void pack();
    std::size_t nin_ = 0;
    std::vector<Neuron> neurons_;
    std::vector<Value> packed_;  // the neurons' parameters in one run: each one's weights, then bias
};

/// A multi-layer perceptron: MLP(2, {16, 16, 1}) is 2 inputs, two hidden ReLU layers of 16 and
/// one linear output.
class MLP {
public:
    MLP(std::size_t nin, std::vector<std::size_t> nouts, Generator& gen = default_generator());
    MLP(std::size_t nin, std::initializer_list<std::size_t> nouts, Generator& gen = default_generator())
        : MLP(nin, std::vector<std::size_t>(nouts), gen) {}
    MLP(MLP&&) noexcept = default;
    MLP& operator=(MLP&&) noexcept = default;
    MLP(const MLP&) = delete;  ///< move-only: use clone() for a deep copy
    MLP& operator=(const MLP&) = delete;
    /// The last layer's outputs. Raises Error if x.size() != nin().
    std::vector<Value> operator()(const std::vector<Value>& x) const;

    /// Every layer's outputs, kept by the caller from one forward() to the next so that a
    /// training loop allocates nothing once warm. One per thread; it fits any MLP (it resizes).
    class Workspace {
        friend class MLP;
        std::vector<std::vector<Value>> outputs_;
    };
    /// The last layer's outputs, written into `ws` (valid until its next use or Tape::clear()):
    ///     nn::MLP::Workspace ws;
    ///     for (...) { Value score = model.forward(x, ws)[0]; ... }
    std::span<const Value> forward(std::span<const Value> x, Workspace& ws) const;
    /// Layer by layer, neuron by neuron, weights then bias.
    std::vector<Value> parameters() const;
    void zero_grad();
    MLP clone() const;

    std::size_t nin() const { return layers_.front().nin(); }
    std::size_t nout() const { return layers_.back().nout(); }
    /// {nin, hidden..., nout}, e.g. {2, 16, 16, 1}.
    std::vector<std::size_t> sizes() const;
    const std::vector<Layer>& layers() const { return layers_; }

    /// The parameters as named arrays, "layers.L.neurons.N.w" (shape [nin]) and
    /// "layers.L.neurons.N.b" (shape []), f64.
    Checkpoint state() const;
    /// Sets the parameters from arrays as state() names them. Everything is checked before
    /// anything is assigned: on Error (naming what differs) the model is unchanged.
    void load_state(const Checkpoint& arrays);

private:
    MLP() = default;
    std::vector<Layer> layers_;
};

/// Saves model.state() to `path` atomically (see tapegrad::save).
void save(const MLP& model, const std::string& path);
/// Loads `path` into `model`; on Error (another architecture, truncation, corruption) the model
/// is unchanged.
void load(MLP& model, const std::string& path);

/// "MLP(2, [16, 16, 1])"
std::string describe(const MLP& model);

}  // namespace tapegrad::nn
