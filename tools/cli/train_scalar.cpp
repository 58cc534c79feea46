// `tapegrad train` on the scalar engine: nn::MLP, one Value per weight, micrograd's losses.
#include <algorithm>
#include <memory>

#include <tapegrad/nn.hpp>

#include "train.hpp"

namespace tapegrad::cli {

namespace {

constexpr double kL2 = 1e-4;  // micrograd's demo's alpha

class ScalarModel final : public Trainable {
public:
    explicit ScalarModel(const TrainOptions& o)
        : gen_(o.seed),
          model_(o.sizes[0], std::vector<std::size_t>(o.sizes.begin() + 1, o.sizes.end()), gen_),
          params_(model_.parameters()) {
        if (o.optimizer == "adam") opt_ = std::make_unique<optim::Adam>(params_, o.lr);
        else opt_ = std::make_unique<optim::SGD>(params_, o.lr);
    }

    double train_step(const data::Dataset& d, std::span<const std::size_t> batch, std::size_t& correct) override {
        Tape& tape = Tape::current();
        tape.clear();
        std::vector<Value> losses;
        losses.reserve(batch.size());
        for (std::size_t i : batch) {
            const std::vector<Value> out = model_(inputs(d.row(i)));
            losses.push_back(loss(out, d.y[i]));
            correct += decide(out) == d.y[i];
        }
        const Value total = sum(losses) * (1.0 / static_cast<double>(batch.size())) + kL2 * dot(params_, params_);
        opt_->zero_grad();
        total.backward();
        opt_->step();
        const double value = total.data();
        tape.clear();
        return value;
    }

    int predict(const double* x) override {
        Tape& tape = Tape::current();
        tape.clear();
        NoGrad no_grad;
        const int c = decide(model_(inputs(x)));
        tape.clear();
        return c;
    }

    void set_lr(double lr) override { opt_->set_lr(lr); }
    void save(const std::string& path) const override { nn::save(model_, path); }
    void load(const std::string& path) override { nn::load(model_, path); }
    std::size_t parameter_count() const override { return params_.size(); }
    std::string describe() const override { return nn::describe(model_) + " on the scalar engine"; }

private:
    std::vector<Value> inputs(const double* x) const {
        return std::vector<Value>(x, x + model_.nin());
    }
    // One output: micrograd's hinge, max(0, 1 - y * score) with y = +-1.
    // Several: softmax cross-entropy, log(sum_j exp(z_j - m)) + m - z_label, m = max z (a constant).
    Value loss(const std::vector<Value>& out, int label) const {
        if (out.size() == 1) return (1.0 - (label == 1 ? 1.0 : -1.0) * out[0]).relu();
        double m = out[0].data();
        for (const Value& z : out) m = std::max(m, z.data());
        std::vector<Value> e;
        e.reserve(out.size());
        for (const Value& z : out) e.push_back((z - m).exp());
        return sum(e).log() + m - out[static_cast<std::size_t>(label)];
    }
    int decide(const std::vector<Value>& out) const {
        if (out.size() == 1) return out[0].data() > 0.0 ? 1 : 0;
        std::size_t best = 0;
        for (std::size_t j = 1; j < out.size(); ++j)
            if (out[j].data() > out[best].data()) best = j;
        return static_cast<int>(best);
    }

    nn::Generator gen_;
    nn::MLP model_;
    std::vector<Value> params_;
    std::unique_ptr<optim::Optimizer> opt_;
};

}  // namespace

std::unique_ptr<Trainable> make_scalar_model(const TrainOptions& o) {
    return std::make_unique<ScalarModel>(o);
}

}  // namespace tapegrad::cli
