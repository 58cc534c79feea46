// `tapegrad train --tensor`: the same MLP as a Sequential of Linear and ReLU on the tensor
// engine, one matmul per layer for the whole batch.
#include <memory>

#include <tapegrad/nn.hpp>

#include "train.hpp"

namespace tapegrad::cli {

namespace {

class TensorModel final : public Trainable {
public:
    explicit TensorModel(const TrainOptions& o) : gen_(o.seed) {
        build_tensor_mlp(model_, o.sizes, gen_);
        const std::vector<Tensor> params = model_.parameters();
        for (const Tensor& p : params) count_ += static_cast<std::size_t>(p.numel());
        opt_ = make_tensor_optimizer(params, o);
        outputs_ = o.sizes.back();
        inputs_ = static_cast<std::int64_t>(o.sizes.front());
        regression_ = o.regression;
    }

    double train_step(const data::Dataset& d, std::span<const std::size_t> batch, std::size_t& correct) override {
        Tape& tape = Tape::current();
        tape.clear();
        const Tensor loss = forward_loss(d, batch, correct);
        opt_->zero_grad();
        loss.backward();
        opt_->step();
        const double value = loss.item();
        tape.clear();
        return value;
    }

    double evaluate(const data::Dataset& d, std::span<const std::size_t> rows, std::size_t& correct) override {
        return tensor_evaluate(model_, d, rows, regression_, outputs_, correct);
    }

    std::vector<double> outputs(const double* x) override { return tensor_outputs(model_, x, inputs_); }

    void set_lr(double lr) override { opt_->set_lr(lr); }
    void save(const std::string& path, const Metadata& metadata) const override {
        tapegrad::save(model_.state(), path, metadata);
    }
    void load(const std::string& path) override { nn::load(model_, path); }
    std::size_t parameter_count() const override { return count_; }
    std::string describe() const override { return model_.describe() + " on the tensor engine"; }

private:
    Tensor forward_loss(const data::Dataset& d, std::span<const std::size_t> rows, std::size_t& correct) {
        return tensor_batch_loss(model_, d, rows, regression_, outputs_, correct);
    }

    Generator gen_;
    nn::Sequential model_;
    std::unique_ptr<optim::Optimizer> opt_;
    std::size_t count_ = 0, outputs_ = 1;
    std::int64_t inputs_ = 1;
    bool regression_ = false;
};

}  // namespace

void build_tensor_mlp(nn::Sequential& model, const std::vector<std::size_t>& sizes, Generator& gen) {
    for (std::size_t i = 1; i < sizes.size(); ++i) {
        if (i > 1) model.push_back(nn::ReLU());
        model.push_back(nn::Linear(static_cast<std::int64_t>(sizes[i - 1]), static_cast<std::int64_t>(sizes[i]), true,
                                   DType::f32, gen));
    }
}

std::unique_ptr<optim::Optimizer> make_tensor_optimizer(const std::vector<Tensor>& params, const TrainOptions& o) {
    if (o.optimizer == "adam") return std::make_unique<optim::Adam>(params, o.lr);
    return std::make_unique<optim::SGD>(params, o.lr);
}

double tensor_evaluate(nn::Sequential& model, const data::Dataset& d, std::span<const std::size_t> rows,
                       bool regression, std::size_t outputs, std::size_t& correct) {
    Tape& tape = Tape::current();
    tape.clear();
    NoGrad no_grad;
    const double value = rows.empty() ? 0.0 : tensor_batch_loss(model, d, rows, regression, outputs, correct).item();
    tape.clear();
    return value;
}

std::vector<double> tensor_outputs(nn::Sequential& model, const double* x, std::int64_t inputs) {
    Tape& tape = Tape::current();
    tape.clear();
    NoGrad no_grad;
    const std::vector<double> s = model(Tensor::from(std::vector<double>(x, x + inputs), {1, inputs})).to_vector();
    tape.clear();
    return s;
}

Tensor tensor_batch_loss(nn::Sequential& model, const data::Dataset& d, std::span<const std::size_t> rows,
                         bool regression, std::size_t outputs, std::size_t& correct) {
    std::vector<double> x;
    x.reserve(rows.size() * d.features);
    std::vector<std::int64_t> labels;
    std::vector<double> targets;
    for (std::size_t i : rows) {
        x.insert(x.end(), d.row(i), d.row(i) + d.features);
        if (regression) {
            targets.push_back(d.t[i]);
        } else {
            labels.push_back(d.y[i]);
            targets.push_back(d.y[i]);
        }
    }
    const auto n = static_cast<std::int64_t>(rows.size());
    const Tensor out = model(Tensor::from(x, {n, static_cast<std::int64_t>(d.features)}));
    if (regression) return nn::mse_loss(out, Tensor::from(targets, {n, 1}));
    const std::vector<double> scores = out.to_vector();
    for (std::size_t k = 0; k < rows.size(); ++k)
        correct += decide(scores.data() + k * outputs, outputs) == d.y[rows[k]];
    return outputs == 1 ? nn::binary_cross_entropy_with_logits(out, Tensor::from(targets, {n, 1}))
                        : nn::cross_entropy(out, labels);
}

std::unique_ptr<Trainable> make_tensor_model(const TrainOptions& o) { return std::make_unique<TensorModel>(o); }

}  // namespace tapegrad::cli
