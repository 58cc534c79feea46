// Scalar Neuron, Layer and MLP: parameters, forward passes, deep copies and named state.
#include "tapegrad/nn/mlp.hpp"

#include <utility>

#include "tapegrad/error.hpp"

namespace tapegrad::nn {

namespace {
// A neuron's output: relu(w . x + b), or w . x + b. Inlined into Layer::forward on purpose: a
// Value returned from a call comes back through memory, written field by field and read back
// 16 bytes at a time, and that load cannot be forwarded from the stores, so every neuron would
// wait for them to reach the cache (a fifth of S2's step through nn::MLP).
[[gnu::always_inline]] inline Value neuron_output(std::span<const Value> w, const Value& b, bool nonlin,
                                                  std::span<const Value> x) {
    if (x.size() != w.size()) [[unlikely]]
        throw Error("Neuron: expected " + std::to_string(w.size()) + " inputs, got " + std::to_string(x.size()));
    Value act = dot(w, x, b);
    return nonlin ? act.relu() : act;
}

// A layer's outputs into out: `packed` holds each neuron's weights then its bias, nin + 1 handles
// a neuron, in one run (Layer::packed_). Inlined into MLP::forward too, whose loop over layers
// then makes no call per layer and point.
[[gnu::always_inline]] inline void layer_outputs(std::span<const Value> packed, std::size_t nin, bool nonlin,
                                                 std::span<const Value> x, std::span<Value> out) {
    for (std::size_t j = 0; j < out.size(); ++j) {
        const Value* w = packed.data() + j * (nin + 1);
        out[j] = neuron_output(std::span<const Value>(w, nin), w[nin], nonlin, x);
    }
}
}  // namespace

// ---- Neuron

Neuron::Neuron(std::size_t nin, bool nonlin, Generator& gen) : nonlin_(nonlin) {
    if (nin == 0) throw Error("Neuron: nin must be at least 1, got 0");
    w_.reserve(nin);
    try {
        for (std::size_t i = 0; i < nin; ++i) w_.push_back(Value::parameter(uniform(gen, -1.0, 1.0)));
        b_ = Value::parameter(0.0);
    } catch (...) {
        release();
        throw;
    }
}

Neuron::~Neuron() { release(); }

void Neuron::release() noexcept {
    for (Value& w : w_) Value::release_parameter(w);
    w_.clear();
    if (b_.is_parameter()) Value::release_parameter(b_);
}

Neuron::Neuron(Neuron&& other) noexcept
    : w_(std::exchange(other.w_, {})), b_(std::exchange(other.b_, Value())), nonlin_(other.nonlin_) {}

Neuron& Neuron::operator=(Neuron&& other) noexcept {
    if (this != &other) {
        release();
        w_ = std::exchange(other.w_, {});
        b_ = std::exchange(other.b_, Value());
        nonlin_ = other.nonlin_;
    }
    return *this;
}

Value Neuron::operator()(std::span<const Value> x) const { return neuron_output(w_, b_, nonlin_, x); }

std::vector<Value> Neuron::parameters() const {
    std::vector<Value> p = w_;
    p.push_back(b_);
    return p;
}

void Neuron::zero_grad() {
    for (Value& w : w_) w.zero_grad();
    b_.zero_grad();
}

Neuron Neuron::clone() const {
    Neuron n;
    n.nonlin_ = nonlin_;
    n.w_.reserve(w_.size());
    for (const Value& w : w_) n.w_.push_back(Value::parameter(w.data()));
    n.b_ = Value::parameter(b_.data());
    return n;
}

// ---- Layer

Layer::Layer(std::size_t nin, std::size_t nout, bool nonlin, Generator& gen) : nin_(nin) {
    if (nout == 0) throw Error("Layer: nout must be at least 1, got 0 (nin " + std::to_string(nin) + ")");
    neurons_.reserve(nout);
    for (std::size_t i = 0; i < nout; ++i) neurons_.emplace_back(nin, nonlin, gen);
    pack();
}

// The forward loops read every neuron's parameters from one contiguous run of handles. S2's
// network reading its weights from each neuron's own vector took 1.13x as long: the tape's writes
// keep evicting the handles from L1, and one run streams back in where 33 do not.
void Layer::pack() {
    packed_.clear();
    packed_.reserve(neurons_.size() * (nin_ + 1));
    for (const Neuron& n : neurons_) {
        packed_.insert(packed_.end(), n.weights().begin(), n.weights().end());
        packed_.push_back(n.bias());
    }
}

std::vector<Value> Layer::operator()(const std::vector<Value>& x) const {
    std::vector<Value> out;
    out.reserve(neurons_.size());
    for (const Neuron& n : neurons_) out.push_back(n(x));
    return out;
}

void Layer::forward(std::span<const Value> x, std::span<Value> out) const {
    if (out.size() != neurons_.size())
        throw Error("Layer: the output span has " + std::to_string(out.size()) + " handles for " +
                    std::to_string(neurons_.size()) + " neurons");
    layer_outputs(packed_, nin_, neurons_.front().nonlin(), x, out);
}

std::vector<Value> Layer::parameters() const {
    std::vector<Value> p;
    for (const Neuron& n : neurons_) {
        p.insert(p.end(), n.weights().begin(), n.weights().end());
        p.push_back(n.bias());
    }
    return p;
}

void Layer::zero_grad() {
    for (Neuron& n : neurons_) n.zero_grad();
}

Layer Layer::clone() const {
    Layer l;
    l.nin_ = nin_;
    l.neurons_.reserve(neurons_.size());
    for (const Neuron& n : neurons_) l.neurons_.push_back(n.clone());
    l.pack();
    return l;
}

// ---- MLP

MLP::MLP(std::size_t nin, std::vector<std::size_t> nouts, Generator& gen) {
    if (nouts.empty()) throw Error("MLP: needs at least one layer size, got none (nin " + std::to_string(nin) + ")");
    layers_.reserve(nouts.size());
    std::size_t in = nin;
    for (std::size_t i = 0; i < nouts.size(); ++i) {
        layers_.emplace_back(in, nouts[i], i + 1 != nouts.size(), gen);
        in = nouts[i];
    }
}

std::vector<Value> MLP::operator()(const std::vector<Value>& x) const {
    if (x.size() != nin())
        throw Error("MLP: expected " + std::to_string(nin()) + " inputs, got " + std::to_string(x.size()));
    std::vector<Value> h = layers_.front()(x);
    for (std::size_t i = 1; i < layers_.size(); ++i) h = layers_[i](h);
    return h;
}

std::span<const Value> MLP::forward(std::span<const Value> x, Workspace& ws) const {
    if (x.size() != nin())
        throw Error("MLP: expected " + std::to_string(nin()) + " inputs, got " + std::to_string(x.size()));
    ws.outputs_.resize(layers_.size());
    std::span<const Value> in = x;
    for (std::size_t i = 0; i < layers_.size(); ++i) {
        std::vector<Value>& out = ws.outputs_[i];
        out.resize(layers_[i].nout());
        const Layer& layer = layers_[i];
        layer_outputs(layer.packed_, layer.nin_, layer.neurons_.front().nonlin(), in, out);
        in = out;
    }
    return in;
}

std::vector<Value> MLP::parameters() const {
    std::vector<Value> p;
    for (const Layer& l : layers_) {
        std::vector<Value> lp = l.parameters();
        p.insert(p.end(), lp.begin(), lp.end());
    }
    return p;
}

void MLP::zero_grad() {
    for (Layer& l : layers_) l.zero_grad();
}

MLP MLP::clone() const {
    MLP m;
    m.layers_.reserve(layers_.size());
    for (const Layer& l : layers_) m.layers_.push_back(l.clone());
    return m;
}

std::vector<std::size_t> MLP::sizes() const {
    std::vector<std::size_t> s{nin()};
    for (const Layer& l : layers_) s.push_back(l.nout());
    return s;
}

Checkpoint MLP::state() const {
    Checkpoint arrays;
    for (std::size_t l = 0; l < layers_.size(); ++l) {
        const std::vector<Neuron>& ns = layers_[l].neurons();
        for (std::size_t n = 0; n < ns.size(); ++n) {
            const std::string prefix = "layers." + std::to_string(l) + ".neurons." + std::to_string(n) + ".";
            SavedArray w{prefix + "w", DType::f64, {ns[n].nin()}, {}};
            for (const Value& v : ns[n].weights()) w.values.push_back(v.data());
            arrays.push_back(std::move(w));
            arrays.push_back(SavedArray{prefix + "b", DType::f64, {}, {ns[n].bias().data()}});
        }
    }
    return arrays;
}

void MLP::load_state(const Checkpoint& arrays) {
    const Checkpoint ordered = match_arrays(state(), arrays, describe(*this));  // throws before any change
    std::size_t k = 0;
    for (const Layer& l : layers_) {
        for (const Neuron& n : l.neurons()) {
            const SavedArray& w = ordered[k++];
            for (std::size_t i = 0; i < n.nin(); ++i) Value(n.weights()[i]).set_data(w.values[i]);
            Value(n.bias()).set_data(ordered[k++].values[0]);
        }
    }
}

void save(const MLP& model, const std::string& path) { tapegrad::save(model.state(), path); }

void load(MLP& model, const std::string& path) { model.load_state(tapegrad::load(path)); }

std::string describe(const MLP& model) {
    const std::vector<std::size_t> s = model.sizes();
    std::string d = "MLP(" + std::to_string(s[0]) + ", [";
    for (std::size_t i = 1; i < s.size(); ++i) d += (i > 1 ? ", " : "") + std::to_string(s[i]);
    return d + "])";
}

}  // namespace tapegrad::nn
