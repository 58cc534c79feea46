// `tapegrad train --tensor --distributed` under mpirun: the tensor model data-parallel. Every rank
// builds the same data and batch order (same seed); each trains on its shard of every batch, and
// DataParallel sums the grads of losses weighted by shard / batch (so shards may differ in size).
#include <memory>

#include "commands.hpp"
#include "train.hpp"

#ifdef TAPEGRAD_CLI_DISTRIBUTED
#include <tapegrad/distributed.hpp>
#include <tapegrad/nn.hpp>
#endif

namespace tapegrad::cli {

#ifdef TAPEGRAD_CLI_DISTRIBUTED
namespace {

dist::Context& context() {
    static dist::Context ctx;  // finalises MPI at exit
    return ctx;
}

class DistributedTensorModel final : public Trainable {
public:
    explicit DistributedTensorModel(const TrainOptions& o) : ctx_(context()), gen_(o.seed) {
        for (std::size_t i = 1; i < o.sizes.size(); ++i) {
            if (i > 1) model_.push_back(nn::ReLU());
            model_.push_back(nn::Linear(static_cast<std::int64_t>(o.sizes[i - 1]), static_cast<std::int64_t>(o.sizes[i]),
                                        true, DType::f32, gen_));
        }
        const std::vector<Tensor> params = model_.parameters();
        dist::broadcast_parameters(params, ctx_);
        ddp_ = std::make_unique<dist::DataParallel>(params, ctx_, dist::DataParallelOptions{.reduce = dist::Reduce::sum});
        for (const Tensor& p : params) count_ += static_cast<std::size_t>(p.numel());
        if (o.optimizer == "adam") opt_ = std::make_unique<optim::Adam>(params, o.lr);
        else opt_ = std::make_unique<optim::SGD>(params, o.lr);
        outputs_ = o.sizes.back();
    }

    double train_step(const data::Dataset& d, std::span<const std::size_t> whole, std::size_t& correct) override {
        Tape& tape = Tape::current();
        tape.clear();
        const auto [begin, end] = dist::shard(whole.size(), ctx_);
        const std::span<const std::size_t> batch = whole.subspan(begin, end - begin);
        std::vector<double> x;
        std::vector<std::int64_t> labels;
        std::vector<double> targets;
        for (std::size_t i : batch) {
            x.insert(x.end(), d.row(i), d.row(i) + d.features);
            labels.push_back(d.y[i]);
            targets.push_back(d.y[i]);
        }
        const auto n = static_cast<std::int64_t>(batch.size());
        const double weight = static_cast<double>(batch.size()) / static_cast<double>(whole.size());
        double mine[2] = {0.0, 0.0};  // this shard's weighted loss and correct predictions
        opt_->zero_grad();
        if (n > 0) {
            const Tensor out = model_(Tensor::from(x, {n, static_cast<std::int64_t>(d.features)}));
            const Tensor loss = (outputs_ == 1 ? nn::binary_cross_entropy_with_logits(out, Tensor::from(targets, {n, 1}))
                                               : nn::cross_entropy(out, labels)) * weight;
            const std::vector<double> scores = out.to_vector();
            for (std::size_t k = 0; k < batch.size(); ++k) mine[1] += decide(scores.data() + k * outputs_) == d.y[batch[k]];
            loss.backward();
            mine[0] = loss.item();
        }
        ddp_->synchronize();
        opt_->step();
        tape.clear();
        Tensor totals = Tensor::from(std::vector<double>{mine[0], mine[1]}, {2}, DType::f64);
        dist::all_reduce(totals, ctx_);
        const std::vector<double> t = totals.to_vector();
        correct += static_cast<std::size_t>(t[1]);
        return t[0];
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
    void save(const std::string& path) const override {
        if (ctx_.rank() == 0) nn::save(model_, path);  // rank 0 writes; the models are equal
    }
    void load(const std::string& path) override {
        nn::load(model_, path);
        dist::broadcast_parameters(model_.parameters(), ctx_);
    }
    std::size_t parameter_count() const override { return count_; }
    std::string describe() const override {
        return model_.describe() + " on the tensor engine, data-parallel on " + std::to_string(ctx_.size()) + " ranks";
    }

private:
    int decide(const double* s) const {
        if (outputs_ == 1) return s[0] > 0.0 ? 1 : 0;
        std::size_t best = 0;
        for (std::size_t j = 1; j < outputs_; ++j)
            if (s[j] > s[best]) best = j;
        return static_cast<int>(best);
    }

    dist::Context& ctx_;
    Generator gen_;
    nn::Sequential model_;
    std::unique_ptr<dist::DataParallel> ddp_;
    std::unique_ptr<optim::Optimizer> opt_;
    std::size_t count_ = 0, outputs_ = 1;
};

}  // namespace

std::unique_ptr<Trainable> make_distributed_tensor_model(const TrainOptions& o) {
    return std::make_unique<DistributedTensorModel>(o);
}
bool distributed_root() { return context().rank() == 0; }
#else
std::unique_ptr<Trainable> make_distributed_tensor_model(const TrainOptions&) {
    throw UsageError("--distributed: this tapegrad was built without MPI (install libopenmpi-dev and rebuild)");
}
bool distributed_root() { return true; }
#endif

}  // namespace tapegrad::cli
