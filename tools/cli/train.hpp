// What `tapegrad train` and `tapegrad predict` need from a model, whichever engine runs it.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <tapegrad/checkpoint.hpp>
#include <tapegrad/data.hpp>
#include <tapegrad/nn/module.hpp>
#include <tapegrad/optim.hpp>
#include <tapegrad/tensor.hpp>

namespace tapegrad::cli {

struct TrainOptions {
    std::vector<std::size_t> sizes;  // {features, hidden..., outputs}
    std::string optimizer = "sgd";   // "sgd" or "adam"
    double lr = 0.0;                 // starting learning rate
    std::uint64_t seed = 1;
    bool regression = false;  // one output fitted to d.t with MSE
};

// A model being trained. Classification: labels are 0..classes-1; a model with one output is a
// binary classifier (score > 0 means class 1), else the output with the largest score wins.
// Regression: one output, fitted to the (standardised) targets d.t.
class Trainable {
public:
    virtual ~Trainable() = default;
    // One optimizer step on the points `batch`: forward, loss, backward, update. Returns the
    // batch's mean loss and adds the points classified correctly (before the update) to `correct`.
    virtual double train_step(const data::Dataset& d, std::span<const std::size_t> batch, std::size_t& correct) = 0;
    // The mean loss over `rows` without gradients, update or penalty; adds correct decisions.
    virtual double evaluate(const data::Dataset& d, std::span<const std::size_t> rows, std::size_t& correct) = 0;
    // The outputs for one point, without recording gradients.
    virtual std::vector<double> outputs(const double* x) = 0;
    virtual void set_lr(double lr) = 0;
    virtual void save(const std::string& path, const Metadata& metadata) const = 0;
    virtual void load(const std::string& path) = 0;
    virtual std::size_t parameter_count() const = 0;
    virtual std::string describe() const = 0;
};

// The class a classifier's outputs pick: the sign of one output, else the largest.
inline int decide(const double* s, std::size_t outputs) {
    if (outputs == 1) return s[0] > 0.0 ? 1 : 0;
    std::size_t best = 0;
    for (std::size_t j = 1; j < outputs; ++j)
        if (s[j] > s[best]) best = j;
    return static_cast<int>(best);
}
inline int decide(const std::vector<double>& s) { return decide(s.data(), s.size()); }

// The tensor models' network: Linear layers of `sizes` (f32) with ReLU between them, drawn from
// gen; and their optimizer (Adam or SGD, as the options say).
void build_tensor_mlp(nn::Sequential& model, const std::vector<std::size_t>& sizes, Generator& gen);
std::unique_ptr<optim::Optimizer> make_tensor_optimizer(const std::vector<Tensor>& params, const TrainOptions& o);

// The tensor models' mean loss over `rows`, one matmul per layer: MSE for regression, binary
// cross-entropy on the logit for one output, softmax cross-entropy for several. Adds the rows
// classified right to `correct` (classification only). Shared by the one-process and the
// data-parallel tensor models (train_tensor.cpp).
Tensor tensor_batch_loss(nn::Sequential& model, const data::Dataset& d, std::span<const std::size_t> rows,
                         bool regression, std::size_t outputs, std::size_t& correct);
// The same without recording, on a cleared tape: the mean loss (0 for no rows).
double tensor_evaluate(nn::Sequential& model, const data::Dataset& d, std::span<const std::size_t> rows,
                       bool regression, std::size_t outputs, std::size_t& correct);
// The model's outputs for one row of `inputs` features, without recording.
std::vector<double> tensor_outputs(nn::Sequential& model, const double* x, std::int64_t inputs);

// The scalar engine: an nn::MLP trained micrograd-style (hinge loss for one output, softmax
// cross-entropy for several, MSE for regression; L2 of 1e-4).
std::unique_ptr<Trainable> make_scalar_model(const TrainOptions& o);
// The tensor engine: a Sequential of Linear and ReLU, f32, binary cross-entropy on the logit for
// one output, softmax cross-entropy for several, MSE for regression.
std::unique_ptr<Trainable> make_tensor_model(const TrainOptions& o);
// The tensor model data-parallel over MPI ranks (tools/cli/train_distributed.cpp); UsageError in
// a build without MPI. distributed_root(): true on rank 0, which alone prints and writes files.
std::unique_ptr<Trainable> make_distributed_tensor_model(const TrainOptions& o);
bool distributed_root();

}  // namespace tapegrad::cli
