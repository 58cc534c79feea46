// The optimizers' update rules, and the reading and writing of parameters a block at a time.
#include "tapegrad/optim.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "tapegrad/detail/tensor_impl.hpp"
#include "tapegrad/error.hpp"
#include "tapegrad/value.hpp"

namespace tapegrad::optim {

namespace {

std::string num(double x) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", x);
    return buf;
}

void require(bool ok, const char* name, const char* what, double value, const char* rule) {
    if (!ok) throw Error(std::string(name) + ": " + what + " = " + num(value) + ", must be " + rule);
}

// Scalar parameters: the nodes themselves, read and written in place.
class ValueSource final : public detail::ParamSource {
public:
    explicit ValueSource(std::vector<tapegrad::detail::Node*> nodes) : nodes_(std::move(nodes)) {}
    std::size_t size() const override { return nodes_.size(); }
    void read(std::size_t begin, std::size_t n, double* data, double* grad) const override {
        for (std::size_t i = 0; i < n; ++i) {
            data[i] = nodes_[begin + i]->value;
            grad[i] = nodes_[begin + i]->grad;
        }
    }
    void write(std::size_t begin, std::size_t n, const double* data) override {
        for (std::size_t i = 0; i < n; ++i) nodes_[begin + i]->value = data[i];
    }
    void zero_grad() override {
        for (tapegrad::detail::Node* n : nodes_) n->grad = 0.0;
    }

private:
    std::vector<tapegrad::detail::Node*> nodes_;
};

// Tensor parameters: read from and written to the leaf's own buffers (contiguous, float32 or
// float64), with no copies beyond the optimizer's flat arrays and no allocation per step.
class TensorSource final : public detail::ParamSource {
public:
    explicit TensorSource(Tensor t) : t_(std::move(t)), n_(static_cast<std::size_t>(t_.numel())) {}
    std::size_t size() const override { return n_; }
    void read(std::size_t begin, std::size_t n, double* data, double* grad) const override {
        tapegrad::detail::TensorImpl* impl = tapegrad::detail::impl_of(t_, "step");
        tapegrad::detail::dispatch(impl->dtype, [&]<class T>() {
            const T* d = impl->ptr<T>() + begin;
            for (std::size_t i = 0; i < n; ++i) data[i] = static_cast<double>(d[i]);
            if (impl->grad == nullptr) return std::fill(grad, grad + n, 0.0);
            const T* g = static_cast<const T*>(impl->grad) + begin;
            for (std::size_t i = 0; i < n; ++i) grad[i] = static_cast<double>(g[i]);
        });
    }
    void write(std::size_t begin, std::size_t n, const double* data) override {
        tapegrad::detail::TensorImpl* impl = tapegrad::detail::impl_of(t_, "step");
        tapegrad::detail::dispatch(impl->dtype, [&]<class T>() {
            T* d = impl->ptr<T>() + begin;
            for (std::size_t i = 0; i < n; ++i) d[i] = static_cast<T>(data[i]);
        });
    }
    void zero_grad() override { t_.zero_grad(); }

private:
    Tensor t_;
    std::size_t n_;
};
}  // namespace

Optimizer::Optimizer(const char* name, double lr) : lr_(lr) {
    require(std::isfinite(lr) && lr >= 0.0, name, "lr", lr, "finite and >= 0");
}

void Optimizer::set_lr(double lr) {
    require(std::isfinite(lr) && lr >= 0.0, "set_lr", "lr", lr, "finite and >= 0");
    lr_ = lr;
}

void Optimizer::add(const char* name, const std::vector<Value>& params) {
    std::vector<tapegrad::detail::Node*> nodes;
    nodes.reserve(params.size());
    for (std::size_t i = 0; i < params.size(); ++i) {
        if (!params[i].is_parameter())
            throw Error(std::string(name) + ": element " + std::to_string(i) + " of " + std::to_string(params.size()) +
                        " is not a parameter (make it with Value::parameter so that it survives Tape::clear())");
        nodes.push_back(tapegrad::detail::ValueAccess::node(params[i]));
    }
    add(std::make_unique<ValueSource>(std::move(nodes)));
}

void Optimizer::add(const char* name, const std::vector<Tensor>& params) {
    for (std::size_t i = 0; i < params.size(); ++i) {
        if (!params[i].defined() || !params[i].is_leaf() || !params[i].requires_grad() || !params[i].is_contiguous())
            throw Error(std::string(name) + ": tensor " + std::to_string(i) + " of " + std::to_string(params.size()) +
                        " is not a contiguous leaf that requires grad");
    }
    for (const Tensor& t : params) add(std::make_unique<TensorSource>(t));
}

void Optimizer::add(std::unique_ptr<detail::ParamSource> source) {
    numel_ += source->size();
    sources_.push_back(std::move(source));
}

void Optimizer::zero_grad() {
    for (auto& s : sources_) s->zero_grad();
}

void Optimizer::step() {
    ++steps_;
    begin_step();
    // A block's parameters and grads as doubles: 4 KiB on the stack, read, updated and written
    // back while they are in the cache.
    constexpr std::size_t kBlock = 256;
    double data[kBlock], grad[kBlock];
    std::size_t at = 0;
    for (auto& s : sources_) {
        for (std::size_t begin = 0; begin < s->size(); begin += kBlock) {
            const std::size_t n = std::min(kBlock, s->size() - begin);
            s->read(begin, n, data, grad);
            update(std::span<double>(data, n), std::span<const double>(grad, n), at + begin);
            s->write(begin, n, data);
        }
        at += s->size();
    }
}

Checkpoint Optimizer::state() const {
    Checkpoint out{SavedArray{"optimizer.steps", DType::f64, {}, {static_cast<double>(steps_)}}};
    for (const auto& [name, buffer] : const_cast<Optimizer*>(this)->buffers())
        if (!buffer->empty()) out.push_back(SavedArray{name, DType::f64, {buffer->size()}, *buffer});
    return out;
}

void Optimizer::load_state(const Checkpoint& arrays) {
    const auto find = [&](const std::string& name) -> const SavedArray* {
        for (const SavedArray& a : arrays)
            if (a.name == name) return &a;
        return nullptr;
    };
    const SavedArray* steps = find("optimizer.steps");
    if (steps == nullptr || steps->values.size() != 1 || !(steps->values[0] >= 0.0))
        throw Error("load_state: no optimizer step count (array 'optimizer.steps') in the checkpoint");
    const auto own = buffers();
    for (const SavedArray& a : arrays) {
        const bool optimizer_array =
            a.name.rfind("optimizer.", 0) == 0 || a.name.rfind("sgd.", 0) == 0 || a.name.rfind("adam.", 0) == 0;
        if (!optimizer_array || &a == steps) continue;
        const auto it = std::find_if(own.begin(), own.end(), [&](const auto& b) { return a.name == b.first; });
        if (it == own.end())
            throw Error("load_state: the checkpoint holds '" + a.name + "', which this optimizer does not use");
        if (a.values.size() != numel())
            throw Error("load_state: '" + a.name + "' holds " + std::to_string(a.values.size()) +
                        " values, the optimizer has " + std::to_string(numel()) + " parameters");
    }
    steps_ = static_cast<std::size_t>(steps->values[0]);
    for (const auto& [name, buffer] : own) {
        const SavedArray* a = find(name);
        if (a != nullptr) *buffer = a->values;
        else buffer->clear();
    }
}

// ---- SGD

SGD::SGD(const std::vector<Value>& params, double lr, double momentum, double weight_decay)
    : Optimizer("SGD", lr), momentum_(momentum), weight_decay_(weight_decay) {
    check_options();
    add("SGD", params);
}

SGD::SGD(const std::vector<Tensor>& params, double lr, double momentum, double weight_decay)
    : Optimizer("SGD", lr), momentum_(momentum), weight_decay_(weight_decay) {
    check_options();
    add("SGD", params);
}

void SGD::check_options() const {
    require(std::isfinite(momentum_) && momentum_ >= 0.0, "SGD", "momentum", momentum_, "finite and >= 0");
    require(std::isfinite(weight_decay_) && weight_decay_ >= 0.0, "SGD", "weight_decay", weight_decay_,
            "finite and >= 0");
}

void SGD::begin_step() {
    first_ = momentum_ != 0.0 && buf_.empty();
    if (first_) buf_.resize(numel());
}

// The options are copied to locals: a store through p could otherwise alias them, which keeps the
// loops from vectorizing.
void SGD::update(std::span<double> p, std::span<const double> g, std::size_t offset) {
    const double lr = this->lr(), decay = weight_decay_, momentum = momentum_;
    const std::size_t n = p.size();
    if (momentum == 0.0) {
        for (std::size_t i = 0; i < n; ++i) p[i] -= lr * (g[i] + decay * p[i]);
        return;
    }
    double* buf = buf_.data() + offset;
    const bool first = first_;
    for (std::size_t i = 0; i < n; ++i) {
        const double d = g[i] + decay * p[i];
        buf[i] = first ? d : momentum * buf[i] + d;
        p[i] -= lr * buf[i];
    }
}

// ---- Adam and AdamW

Adam::Adam(const char* name, double lr, double beta1, double beta2, double eps, double weight_decay, bool decoupled)
    : Optimizer(name, lr), beta1_(beta1), beta2_(beta2), eps_(eps), weight_decay_(weight_decay), decoupled_(decoupled) {
    require(beta1 >= 0.0 && beta1 < 1.0, name, "beta1", beta1, "in [0, 1)");
    require(beta2 >= 0.0 && beta2 < 1.0, name, "beta2", beta2, "in [0, 1)");
    require(std::isfinite(eps) && eps >= 0.0, name, "eps", eps, "finite and >= 0");
    require(std::isfinite(weight_decay) && weight_decay >= 0.0, name, "weight_decay", weight_decay, "finite and >= 0");
}

Adam::Adam(const std::vector<Value>& params, double lr, double beta1, double beta2, double eps, double weight_decay)
    : Adam("Adam", lr, beta1, beta2, eps, weight_decay, false) {
    add("Adam", params);
}

Adam::Adam(const std::vector<Tensor>& params, double lr, double beta1, double beta2, double eps, double weight_decay)
    : Adam("Adam", lr, beta1, beta2, eps, weight_decay, false) {
    add("Adam", params);
}

void Adam::begin_step() {
    m_.resize(numel(), 0.0);
    v_.resize(numel(), 0.0);
    const double t = static_cast<double>(steps());
    c1_ = 1.0 - std::pow(beta1_, t);
    c2_ = 1.0 - std::pow(beta2_, t);
}

void Adam::update(std::span<double> p, std::span<const double> g, std::size_t offset) {
    const double lr = this->lr(), decay = weight_decay_, b1 = beta1_, b2 = beta2_, c1 = c1_, c2 = c2_, eps = eps_;
    const bool decoupled = decoupled_;
    const std::size_t n = p.size();
    double* m = m_.data() + offset;
    double* v = v_.data() + offset;
    for (std::size_t i = 0; i < n; ++i) {
        double gi = g[i];
        if (decoupled) p[i] *= 1.0 - lr * decay;
        else gi += decay * p[i];
        m[i] = b1 * m[i] + (1.0 - b1) * gi;
        v[i] = b2 * v[i] + (1.0 - b2) * gi * gi;
        p[i] -= lr * (m[i] / c1) / (std::sqrt(v[i] / c2) + eps);
    }
}

AdamW::AdamW(const std::vector<Value>& params, double lr, double beta1, double beta2, double eps, double weight_decay)
    : Adam("AdamW", lr, beta1, beta2, eps, weight_decay, true) {
    add("AdamW", params);
}

AdamW::AdamW(const std::vector<Tensor>& params, double lr, double beta1, double beta2, double eps, double weight_decay)
    : Adam("AdamW", lr, beta1, beta2, eps, weight_decay, true) {
    add("AdamW", params);
}

}  // namespace tapegrad::optim
