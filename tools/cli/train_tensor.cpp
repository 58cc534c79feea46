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
        for (std::size_t i = 1; i < o.sizes.size(); ++i) {
            if (i > 1) model_.push_back(nn::ReLU());
            model_.push_back(nn::Linear(static_cast<std::int64_t>(o.sizes[i - 1]), static_cast<std::int64_t>(o.sizes[i]),
                                        true, DType::f32, gen_));
        }
        const std::vector<Tensor> params = model_.parameters();
        for (const Tensor& p : params) count_ += static_cast<std::size_t>(p.numel());
        if (o.optimizer == "adam") opt_ = std::make_unique<optim::Adam>(params, o.lr);
        else opt_ = std::make_unique<optim::SGD>(params, o.lr);
        outputs_ = o.sizes.back();
    }

    // One output: binary cross-entropy on the logit; several: softmax cross-entropy.
    double train_step(const data::Dataset& d, std::span<const std::size_t> batch, std::size_t& correct) override {
        Tape& tape = Tape::current();
        tape.clear();
        std::vector<double> x;
        x.reserve(batch.size() * d.features);
        std::vector<std::int64_t> labels;
        std::vector<double> targets;
        for (std::size_t i : batch) {
            x.insert(x.end(), d.row(i), d.row(i) + d.features);
            labels.push_back(d.y[i]);
            targets.push_back(d.y[i]);
        }
        const auto n = static_cast<std::int64_t>(batch.size());
        const Tensor out = model_(Tensor::from(x, {n, static_cast<std::int64_t>(d.features)}));
        const Tensor loss = outputs_ == 1 ? nn::binary_cross_entropy_with_logits(out, Tensor::from(targets, {n, 1}))
                                          : nn::cross_entropy(out, labels);
        const std::vector<double> scores = out.to_vector();
        for (std::size_t k = 0; k < batch.size(); ++k) correct += decide(scores.data() + k * outputs_) == d.y[batch[k]];
        opt_->zero_grad();
        loss.backward();
        opt_->step();
        const double value = loss.item();
        tape.clear();
        return value;
    }

    int predict(const double* x) override {
        Tape& tape = Tape::current();
        tape.clear();
        NoGrad no_grad;
        const auto f = static_cast<std::int64_t>(model_.parameters().front().size(1));
        const std::vector<double> s = model_(Tensor::from(std::vector<double>(x, x + f), {1, f})).to_vector();
        tape.clear();
        return decide(s.data());
    }

    void set_lr(double lr) override { opt_->set_lr(lr); }
    void save(const std::string& path) const override { nn::save(model_, path); }
    void load(const std::string& path) override { nn::load(model_, path); }
    std::size_t parameter_count() const override { return count_; }
    std::string describe() const override { return model_.describe() + " on the tensor engine"; }

private:
    int decide(const double* s) const {
        if (outputs_ == 1) return s[0] > 0.0 ? 1 : 0;
        std::size_t best = 0;
        for (std::size_t j = 1; j < outputs_; ++j)
            if (s[j] > s[best]) best = j;
        return static_cast<int>(best);
    }

    Generator gen_;
    nn::Sequential model_;
    std::unique_ptr<optim::Optimizer> opt_;
    std::size_t count_ = 0, outputs_ = 1;
};

}  // namespace

std::unique_ptr<Trainable> make_tensor_model(const TrainOptions& o) { return std::make_unique<TensorModel>(o); }

}  // namespace tapegrad::cli
