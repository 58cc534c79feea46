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
        build_tensor_mlp(model_, o.sizes, gen_);
        const std::vector<Tensor> params = model_.parameters();
        dist::broadcast_parameters(params, ctx_);
        ddp_ =
            std::make_unique<dist::DataParallel>(params, ctx_, dist::DataParallelOptions{.reduce = dist::Reduce::sum});
        for (const Tensor& p : params) count_ += static_cast<std::size_t>(p.numel());
        opt_ = make_tensor_optimizer(params, o);
        outputs_ = o.sizes.back();
        inputs_ = static_cast<std::int64_t>(o.sizes.front());
        regression_ = o.regression;
    }

    // This rank's shard of the batch; its loss weighted by shard / batch, so that the sum over
    // ranks is the batch's mean loss. Returns that mean; `correct` gets the batch's count.
    double train_step(const data::Dataset& d, std::span<const std::size_t> whole, std::size_t& correct) override {
        Tape& tape = Tape::current();
        tape.clear();
        const auto [begin, end] = dist::shard(whole.size(), ctx_);
        const std::span<const std::size_t> batch = whole.subspan(begin, end - begin);
        const double weight = static_cast<double>(batch.size()) / static_cast<double>(whole.size());
        double mine[2] = {0.0, 0.0};  // this shard's weighted loss and correct decisions
        opt_->zero_grad();
        if (!batch.empty()) {
            std::size_t right = 0;
            const Tensor loss = forward_loss(d, batch, right) * weight;
            loss.backward();
            mine[0] = loss.item();
            mine[1] = static_cast<double>(right);
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

    // Every rank holds the same model: evaluation runs locally, on all the rows.
    double evaluate(const data::Dataset& d, std::span<const std::size_t> rows, std::size_t& correct) override {
        return tensor_evaluate(model_, d, rows, regression_, outputs_, correct);
    }

    std::vector<double> outputs(const double* x) override { return tensor_outputs(model_, x, inputs_); }

    void set_lr(double lr) override { opt_->set_lr(lr); }
    void save(const std::string& path, const Metadata& metadata) const override {
        if (ctx_.rank() == 0) tapegrad::save(model_.state(), path, metadata);  // the models are equal
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
    Tensor forward_loss(const data::Dataset& d, std::span<const std::size_t> rows, std::size_t& correct) {
        return tensor_batch_loss(model_, d, rows, regression_, outputs_, correct);
    }

    dist::Context& ctx_;
    Generator gen_;
    nn::Sequential model_;
    std::unique_ptr<dist::DataParallel> ddp_;
    std::unique_ptr<optim::Optimizer> opt_;
    std::size_t count_ = 0, outputs_ = 1;
    std::int64_t inputs_ = 1;
    bool regression_ = false;
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
