// What `tapegrad train` needs from a model, whichever engine runs it.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <tapegrad/data.hpp>

namespace tapegrad::cli {

struct TrainOptions {
    std::vector<std::size_t> sizes;  // {features, hidden..., outputs}
    std::string optimizer = "sgd";   // "sgd" or "adam"
    double lr = 0.0;                 // starting learning rate
    std::uint64_t seed = 1;
};

// A classifier being trained. Labels are 0..classes-1; a model with one output is a binary
// classifier (score > 0 means class 1), else the output with the largest score wins.
class Trainable {
public:
    virtual ~Trainable() = default;
    // One optimizer step on the points `batch`: forward, loss, backward, update. Returns the
    // batch's mean loss and adds the points predicted correctly (before the update) to `correct`.
    virtual double train_step(const data::Dataset& d, std::span<const std::size_t> batch, std::size_t& correct) = 0;
    // The predicted class of one point, without recording gradients.
    virtual int predict(const double* x) = 0;
    virtual void set_lr(double lr) = 0;
    virtual void save(const std::string& path) const = 0;
    virtual void load(const std::string& path) = 0;
    virtual std::size_t parameter_count() const = 0;
    virtual std::string describe() const = 0;
};

// The scalar engine: an nn::MLP trained micrograd-style (hinge loss for one output, softmax
// cross-entropy for several, L2 of 1e-4).
std::unique_ptr<Trainable> make_scalar_model(const TrainOptions& o);
// The tensor engine: a Sequential of Linear and ReLU, f32, binary cross-entropy on the logit for
// one output, softmax cross-entropy for several.
std::unique_ptr<Trainable> make_tensor_model(const TrainOptions& o);
// The tensor model data-parallel over MPI ranks (tools/cli/train_distributed.cpp); UsageError in
// a build without MPI. distributed_root(): true on rank 0, which alone prints and writes files.
std::unique_ptr<Trainable> make_distributed_tensor_model(const TrainOptions& o);
bool distributed_root();

}  // namespace tapegrad::cli
