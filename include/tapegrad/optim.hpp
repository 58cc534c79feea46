// Optimizers: SGD (with momentum and weight decay), Adam and AdamW, with PyTorch's update rules.
//
// An optimizer holds handles to parameters (it does not own them: the model must outlive it).
// zero_grad() clears their grads; step() reads every grad and updates every value:
//
//     optim::Adam opt(model.parameters(), 1e-2);
//     for (...) { opt.zero_grad(); loss = ...; loss.backward(); opt.step(); Tape::current().clear(); }
//
// Parameters may be scalar Values (made with Value::parameter) or Tensors that require grad
// (nn::Module::parameters()). They are read a block at a time into small arrays of doubles, so each
// rule below is one loop over plain arrays whatever the parameters are made of, and no parameter
// leaves the cache between its read, its update and its write.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "tapegrad/checkpoint.hpp"
#include "tapegrad/tensor.hpp"
#include "tapegrad/value.hpp"

namespace tapegrad::optim {

namespace detail {
// What an optimizer needs from a set of parameters: their numbers and grads as doubles, n at a
// time from the begin-th.
class ParamSource {
public:
    virtual ~ParamSource() = default;
    virtual std::size_t size() const = 0;
    virtual void read(std::size_t begin, std::size_t n, double* data, double* grad) const = 0;
    virtual void write(std::size_t begin, std::size_t n, const double* data) = 0;
    virtual void zero_grad() = 0;
};
}  // namespace detail

/// The common part of every optimizer: the parameters, the learning rate and the step count.
class Optimizer {
public:
    virtual ~Optimizer() = default;
    Optimizer(const Optimizer&) = delete;
    Optimizer& operator=(const Optimizer&) = delete;

    /// Sets every parameter's grad to zero.
    void zero_grad();
    /// One update of every parameter from its current grad.
    void step();

    double lr() const { return lr_; }
    /// For learning-rate schedules; raises Error if lr < 0 or not finite.
    void set_lr(double lr);
    /// step() calls so far.
    std::size_t steps() const { return steps_; }
    /// Number of scalars being optimized.
    std::size_t numel() const { return numel_; }

    /// What a resumed run needs, as named float64 arrays for a checkpoint beside the model's:
    /// "optimizer.steps" (a scalar) and the rule's buffers, one value per optimized scalar
    /// ("sgd.momentum"; "adam.m" and "adam.v"), absent until the first step makes them.
    Checkpoint state() const;
    /// Restores what state() wrote (other arrays, such as the model's, are ignored). Checks
    /// first: on Error (no step count, a buffer of another optimizer or size) nothing changes.
    void load_state(const Checkpoint& arrays);

protected:
    Optimizer(const char* name, double lr);
    /// Adds scalar parameters; raises Error naming the index of any that is not a parameter.
    void add(const char* name, const std::vector<Value>& params);
    /// Adds tensor parameters; raises Error naming the index of any that is not a leaf that
    /// requires grad.
    void add(const char* name, const std::vector<Tensor>& params);
    void add(std::unique_ptr<detail::ParamSource> source);
    /// The rule, applied a block at a time so that the parameters it reads stay in the cache:
    /// begin_step() runs once per step (steps() is already the 1-based number of this step), then
    /// update() for each block: p[i] and g[i] are the parameter and grad at flat position
    /// offset + i (parameters in the order they were added), p updated in place.
    virtual void begin_step() {}
    virtual void update(std::span<double> p, std::span<const double> g, std::size_t offset) = 0;
    /// The rule's buffers by name, for state() and load_state() (none for plain SGD).
    virtual std::vector<std::pair<const char*, std::vector<double>*>> buffers() { return {}; }

private:
    std::vector<std::unique_ptr<detail::ParamSource>> sources_;
    std::size_t numel_ = 0;
    double lr_;
    std::size_t steps_ = 0;
};

/// Stochastic gradient descent, as torch.optim.SGD (dampening 0):
///   g += weight_decay * p;  buf = momentum * buf + g (buf = g at the first step);  p -= lr * buf
class SGD : public Optimizer {
public:
    SGD(const std::vector<Value>& params, double lr, double momentum = 0.0, double weight_decay = 0.0);
    SGD(const std::vector<Tensor>& params, double lr, double momentum = 0.0, double weight_decay = 0.0);

protected:
    void begin_step() override;
    void update(std::span<double> p, std::span<const double> g, std::size_t offset) override;
    std::vector<std::pair<const char*, std::vector<double>*>> buffers() override { return {{"sgd.momentum", &buf_}}; }

private:
    void check_options() const;
    double momentum_, weight_decay_;
    std::vector<double> buf_;
    bool first_ = false;  // this step starts the momentum buffer (buf = g)
};

/// Adam (Kingma and Ba), as torch.optim.Adam; weight_decay adds weight_decay * p to the grad
/// (L2 regularisation):
///   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
///   p -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
class Adam : public Optimizer {
public:
    Adam(const std::vector<Value>& params, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
         double eps = 1e-8, double weight_decay = 0.0);
    Adam(const std::vector<Tensor>& params, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
         double eps = 1e-8, double weight_decay = 0.0);

protected:
    Adam(const char* name, double lr, double beta1, double beta2, double eps, double weight_decay, bool decoupled);
    void begin_step() override;
    void update(std::span<double> p, std::span<const double> g, std::size_t offset) override;
    std::vector<std::pair<const char*, std::vector<double>*>> buffers() override {
        return {{"adam.m", &m_}, {"adam.v", &v_}};
    }

private:
    double beta1_, beta2_, eps_, weight_decay_;
    bool decoupled_;
    std::vector<double> m_, v_;
    double c1_ = 1.0, c2_ = 1.0;  // this step's bias corrections, 1 - beta^t
};

/// AdamW (Loshchilov and Hutter), as torch.optim.AdamW: the decay is applied to the weights,
/// not the grad:  p *= 1 - lr * weight_decay, then Adam's step without weight decay.
class AdamW : public Adam {
public:
    AdamW(const std::vector<Value>& params, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
          double eps = 1e-8, double weight_decay = 0.01);
    AdamW(const std::vector<Tensor>& params, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
          double eps = 1e-8, double weight_decay = 0.01);
};

}  // namespace tapegrad::optim
