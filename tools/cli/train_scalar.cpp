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
        : regression_(o.regression), gen_(o.seed),
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
            losses.push_back(loss(out, d, i));
            if (!regression_) correct += decide(data_of(out)) == d.y[i];
        }
        const Value total = sum(losses) * (1.0 / static_cast<double>(batch.size())) + kL2 * dot(params_, params_);
        opt_->zero_grad();
        total.backward();
        opt_->step();
        const double value = total.data();
        tape.clear();
        return value;
    }

    double evaluate(const data::Dataset& d, std::span<const std::size_t> rows, std::size_t& correct) override {
        Tape& tape = Tape::current();
        double total = 0.0;
        for (std::size_t i : rows) {
            tape.clear();
            NoGrad no_grad;
            const std::vector<Value> out = model_(inputs(d.row(i)));
            total += loss(out, d, i).data();
            if (!regression_) correct += decide(data_of(out)) == d.y[i];
        }
        tape.clear();
        return rows.empty() ? 0.0 : total / static_cast<double>(rows.size());
    }

    std::vector<double> outputs(const double* x) override {
        Tape& tape = Tape::current();
        tape.clear();
        NoGrad no_grad;
        const std::vector<double> s = data_of(model_(inputs(x)));
        tape.clear();
        return s;
    }

    void set_lr(double lr) override { opt_->set_lr(lr); }
    void save(const std::string& path, const Metadata& metadata) const override {
        tapegrad::save(model_.state(), path, metadata);
    }
    void load(const std::string& path) override { nn::load(model_, path); }
    std::size_t parameter_count() const override { return params_.size(); }
    std::string describe() const override { return nn::describe(model_) + " on the scalar engine"; }

private:
    std::vector<Value> inputs(const double* x) const { return std::vector<Value>(x, x + model_.nin()); }
    // Regression: the squared error (score - t)^2.
    // One output: micrograd's hinge, max(0, 1 - y * score) with y = +-1.
    // Several: softmax cross-entropy, log(sum_j exp(z_j - m)) + m - z_label, m = max z (a constant).
    Value loss(const std::vector<Value>& out, const data::Dataset& d, std::size_t i) const {
        if (regression_) {
            const Value e = out[0] - d.t[i];
            return e * e;
        }
        const int label = d.y[i];
        if (out.size() == 1) return (1.0 - (label == 1 ? 1.0 : -1.0) * out[0]).relu();
        double m = out[0].data();
        for (const Value& z : out) m = std::max(m, z.data());
        std::vector<Value> e;
        e.reserve(out.size());
        for (const Value& z : out) e.push_back((z - m).exp());
        return sum(e).log() + m - out[static_cast<std::size_t>(label)];
    }
    static std::vector<double> data_of(const std::vector<Value>& out) {
        std::vector<double> s;
        s.reserve(out.size());
        for (const Value& z : out) s.push_back(z.data());
        return s;
    }

    bool regression_;
    nn::Generator gen_;
    nn::MLP model_;
    std::vector<Value> params_;
    std::unique_ptr<optim::Optimizer> opt_;
};

}  // namespace

std::unique_ptr<Trainable> make_scalar_model(const TrainOptions& o) { return std::make_unique<ScalarModel>(o); }

}  // namespace tapegrad::cli
