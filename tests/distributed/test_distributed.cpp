// Data-parallel training on N ranks against one process on the whole batch, and misuse.
#include <doctest/doctest.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <tapegrad/tapegrad.hpp>

#include "common.hpp"

namespace dist = tapegrad::dist;
using tapegrad::DType;
using tapegrad::Tape;
using tapegrad::Tensor;
using tapegrad::Value;
namespace nn = tapegrad::nn;

namespace {

double max_relative_difference(const std::vector<double>& a, const std::vector<double>& b) {
    REQUIRE(a.size() == b.size());
    double diff = 0, scale = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        diff = std::max(diff, std::fabs(a[i] - b[i]));
        scale = std::max(scale, std::fabs(b[i]));
    }
    return diff / scale;
}

std::vector<double> flat(const std::vector<Tensor>& params) {
    std::vector<double> out;
    for (const Tensor& p : params) {
        const std::vector<double> v = p.to_vector();
        out.insert(out.end(), v.begin(), v.end());
    }
    return out;
}

// The global batch: n points of 4 features, 3 classes.
struct Batch {
    std::vector<double> x;
    std::vector<std::int64_t> labels;
};
Batch make_batch(std::size_t n) {
    Batch b;
    for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t j = 0; j < 4; ++j) b.x.push_back(std::sin(static_cast<double>(4 * i + j) + 1.0));
        b.labels.push_back(static_cast<std::int64_t>(i % 3));
    }
    return b;
}
Tensor rows(const Batch& b, std::size_t begin, std::size_t end, DType dtype) {
    return Tensor::from(std::vector<double>(b.x.begin() + static_cast<std::ptrdiff_t>(4 * begin),
                                            b.x.begin() + static_cast<std::ptrdiff_t>(4 * end)),
                        {static_cast<std::int64_t>(end - begin), 4}, dtype);
}
std::vector<std::int64_t> labels(const Batch& b, std::size_t begin, std::size_t end) {
    return {b.labels.begin() + static_cast<std::ptrdiff_t>(begin), b.labels.begin() + static_cast<std::ptrdiff_t>(end)};
}

nn::Sequential make_model(DType dtype, int depth = 1) {
    tapegrad::Generator gen(42);
    nn::Sequential m;
    std::int64_t in = 4;
    for (int d = 0; d < depth; ++d) {
        m.push_back(nn::Linear(in, 8, true, dtype, gen));
        m.push_back(nn::Tanh());
        in = 8;
    }
    m.push_back(nn::Linear(in, 3, true, dtype, gen));
    return m;
}

enum class Mode { whole_batch, mean_of_shards, sum_over_global_count };
struct Run {
    std::vector<double> params;
    dist::DataParallelStats stats;
};

// Trains make_model(dtype, depth) for `steps` SGD steps with momentum on a global batch of n.
// `regularise_first` adds 0.01 sum(b^2) of the last bias, recorded before the model, on odd steps (a graph that
// changes between steps).
Run train(Mode mode, DType dtype, std::size_t n, int steps, dist::DataParallelOptions options = {}, int depth = 1,
          bool regularise_first = false) {
    dist::Context& ctx = test_context();
    const Batch batch = make_batch(n);
    nn::Sequential model = make_model(dtype, depth);
    const std::vector<Tensor> params = model.parameters();
    tapegrad::optim::SGD opt(params, 0.1, 0.9);
    std::size_t begin = 0, end = n;
    if (mode != Mode::whole_batch) std::tie(begin, end) = dist::shard(n, ctx);
    if (mode == Mode::sum_over_global_count) options.reduce = dist::Reduce::sum;
    const Tensor x = rows(batch, begin, end, dtype);
    const std::vector<std::int64_t> y = labels(batch, begin, end);
    Run run;
    {
        std::unique_ptr<dist::DataParallel> ddp;
        if (mode != Mode::whole_batch) ddp = std::make_unique<dist::DataParallel>(params, ctx, options);
        for (int s = 0; s < steps; ++s) {
            opt.zero_grad();
            Tensor reg;
            if (regularise_first && s % 2 == 1) reg = (params.back() * params.back()).sum() * 0.01;
            Tensor loss = nn::cross_entropy(model(x), y);
            if (mode == Mode::sum_over_global_count)
                loss = loss * (static_cast<double>(end - begin) / static_cast<double>(n));
            if (reg.defined())
                loss =
                    loss + (mode == Mode::mean_of_shards || mode == Mode::whole_batch ? reg : reg * (1.0 / ctx.size()));
            loss.backward();
            if (ddp) ddp->synchronize();
            opt.step();
            Tape::current().clear();
        }
        if (ddp) run.stats = ddp->stats();
    }
    run.params = flat(params);
    return run;
}

}  // namespace

TEST_CASE("shard gives each rank a contiguous share, sizes within one, covering every item") {
    for (std::size_t n = 0; n < 30; ++n)
        for (int size = 1; size <= 5; ++size) {
            std::size_t expect_begin = 0, smallest = n, largest = 0;
            for (int r = 0; r < size; ++r) {
                const auto [b, e] = dist::shard(n, r, size);
                CHECK(b == expect_begin);
                smallest = std::min(smallest, e - b);
                largest = std::max(largest, e - b);
                expect_begin = e;
            }
            CHECK(expect_begin == n);
            CHECK(largest - smallest <= 1);
        }
    CHECK_THROWS_WITH_AS(dist::shard(10, 3, 3), doctest::Contains("dist::shard: rank 3 is not in [0, 3)"),
                         tapegrad::Error);
    const auto [b, e] = dist::shard(10, test_context());
    CHECK(e > b);
}

TEST_CASE("all_reduce sums or averages over ranks, broadcast copies the root's tensor") {
    dist::Context& ctx = test_context();
    const int n = ctx.size(), r = ctx.rank();
    for (DType dtype : {DType::f32, DType::f64}) {
        Tensor t = Tensor::full({2, 3}, r + 1.0, dtype);
        dist::all_reduce(t, ctx, dist::Reduce::sum);
        CHECK(t.to_vector() == std::vector<double>(6, n * (n + 1) / 2.0));
        Tensor m = Tensor::full({4}, 2.0 * r, dtype);
        dist::all_reduce(m, ctx, dist::Reduce::mean);
        CHECK(m.to_vector() == std::vector<double>(4, n - 1.0));
        Tensor c = Tensor::full({3}, r * 10.0, dtype);
        dist::broadcast(c, ctx, n - 1);
        CHECK(c.to_vector() == std::vector<double>(3, (n - 1) * 10.0));
    }
    Tensor c = Tensor::zeros({1});
    CHECK_THROWS_WITH_AS(dist::broadcast(c, ctx, n), doctest::Contains("is not a rank"), tapegrad::Error);
}

TEST_CASE("broadcast_parameters gives every rank root 0's tensors and Values") {
    dist::Context& ctx = test_context();
    tapegrad::Generator gen(100 + static_cast<std::uint64_t>(ctx.rank()));  // a different model per rank
    nn::Linear layer(3, 4, true, DType::f32, gen);
    dist::broadcast_parameters(layer.parameters(), ctx);
    CHECK(same_on_every_rank(flat(layer.parameters())));
    nn::MLP mlp(2, {3, 1}, gen);
    dist::broadcast_parameters(mlp.parameters(), ctx);
    std::vector<double> values;
    for (const Value& p : mlp.parameters()) values.push_back(p.data());
    CHECK(same_on_every_rank(values));
}

TEST_CASE("tensor training on shards averaged over ranks matches one process on the whole batch") {
    const Run whole64 = train(Mode::whole_batch, DType::f64, 12, 5);
    const Run ranks64 = train(Mode::mean_of_shards, DType::f64, 12, 5);
    CHECK(max_relative_difference(ranks64.params, whole64.params) <= 1e-10);
    CHECK(max_relative_difference(ranks64.params, flat(make_model(DType::f64).parameters())) > 1e-3);  // it trained
    const Run whole32 = train(Mode::whole_batch, DType::f32, 12, 5);
    const Run ranks32 = train(Mode::mean_of_shards, DType::f32, 12, 5);
    CHECK(max_relative_difference(ranks32.params, whole32.params) <= 1e-5);
    CHECK(same_on_every_rank(ranks64.params));
    CHECK(same_on_every_rank(ranks32.params));
    CHECK(ranks64.stats.steps == 5);
    CHECK(ranks64.stats.bytes_per_step == (4 * 8 + 8 + 8 * 3 + 3) * sizeof(double));
}

TEST_CASE("unequal shards weighted by Reduce::sum and a loss over the global count match the whole batch") {
    const Run whole = train(Mode::whole_batch, DType::f64, 13, 5);
    const Run ranks = train(Mode::sum_over_global_count, DType::f64, 13, 5);
    CHECK(max_relative_difference(ranks.params, whole.params) <= 1e-10);
    const Run whole32 = train(Mode::whole_batch, DType::f32, 13, 5);
    const Run ranks32 = train(Mode::sum_over_global_count, DType::f32, 13, 5);
    CHECK(max_relative_difference(ranks32.params, whole32.params) <= 1e-5);
}

TEST_CASE("two data-parallel runs on the same ranks are bitwise equal, overlapped or not") {
    dist::DataParallelOptions small;
    small.bucket_bytes = 64;  // about one parameter a bucket: several buckets to overlap
    const Run a = train(Mode::mean_of_shards, DType::f64, 12, 4, small, 3);
    const Run b = train(Mode::mean_of_shards, DType::f64, 12, 4, small, 3);
    dist::DataParallelOptions off = small;
    off.overlap = false;
    const Run c = train(Mode::mean_of_shards, DType::f64, 12, 4, off, 3);
    CHECK(a.params == b.params);
    CHECK(a.params == c.params);
    CHECK(same_on_every_rank(a.params));
    CHECK(a.stats.buckets >= 4);
    // All sent from the sweep once learned; on one machine the grads are reduced where they lie.
    CHECK(a.stats.launched_early == (a.stats.shared_memory ? 0 : a.stats.buckets));
    CHECK(a.stats.rereduced == 0);
    CHECK(c.stats.launched_early == 0);
    const Run whole = train(Mode::whole_batch, DType::f64, 12, 4, {}, 3);
    CHECK(max_relative_difference(a.params, whole.params) <= 1e-10);
}

TEST_CASE("reducing through shared memory and through MPI_Iallreduce give the same parameters") {
    // Under the TCP loopback test TAPEGRAD_DIST_SHARED_MEMORY=0 turns the shared-memory path off.
    const char* env = std::getenv("TAPEGRAD_DIST_SHARED_MEMORY");
    const bool expect_shared = !(env != nullptr && std::string(env) == "0");
    dist::DataParallelOptions small;
    small.bucket_bytes = 64;
    dist::DataParallelOptions mpi = small;
    mpi.shared_memory = false;
    for (DType dtype : {DType::f64, DType::f32}) {
        const Run shared = train(Mode::mean_of_shards, dtype, 12, 4, small, 2);
        const Run messages = train(Mode::mean_of_shards, dtype, 12, 4, mpi, 2);
        CHECK(shared.stats.shared_memory == expect_shared);
        CHECK_FALSE(messages.stats.shared_memory);
        CHECK(same_on_every_rank(shared.params));
        CHECK(same_on_every_rank(messages.params));
        // Two ranks add two numbers, in either order the same; three may associate differently.
        if (test_context().size() == 2) CHECK(shared.params == messages.params);
        else CHECK(max_relative_difference(shared.params, messages.params) <= (dtype == DType::f64 ? 1e-12 : 1e-5));
        const Run sum = train(Mode::sum_over_global_count, dtype, 13, 3, small, 2);
        const Run whole = train(Mode::whole_batch, dtype, 13, 3, {}, 2);
        CHECK(max_relative_difference(sum.params, whole.params) <= (dtype == DType::f64 ? 1e-10 : 1e-5));
    }
}

TEST_CASE("the grads a DataParallel held in shared memory are the tensors' own again after it") {
    dist::Context& ctx = test_context();
    const Batch batch = make_batch(12);
    nn::Sequential model = make_model(DType::f32);
    const std::vector<Tensor> params = model.parameters();
    const auto [begin, end] = dist::shard(12, ctx);
    std::vector<Tensor> held;  // grad() handles taken while the DataParallel lives
    std::vector<std::vector<double>> reduced;
    {
        dist::DataParallel ddp(params, ctx);
        nn::cross_entropy(model(rows(batch, begin, end, DType::f32)), labels(batch, begin, end)).backward();
        ddp.synchronize();
        for (const Tensor& p : params) {
            held.push_back(p.grad());
            reduced.push_back(p.grad().to_vector());
        }
        CHECK(same_on_every_rank(reduced.front()));
    }
    Tape::current().clear();
    for (std::size_t k = 0; k < params.size(); ++k) {
        CHECK(params[k].grad().to_vector() == reduced[k]);
        CHECK(held[k].to_vector() == reduced[k]);
    }
    Tensor(params[0]).zero_grad();  // the tensor's own buffer: the held handle sees it
    CHECK(held[0].to_vector() == std::vector<double>(reduced[0].size(), 0.0));
}

TEST_CASE("a graph that changes between steps is still reduced exactly (stale buckets are sent again)") {
    dist::DataParallelOptions small;
    small.bucket_bytes = 64;
    const Run whole = train(Mode::whole_batch, DType::f64, 12, 4, {}, 2, true);
    const Run ranks = train(Mode::mean_of_shards, DType::f64, 12, 4, small, 2, true);
    CHECK(max_relative_difference(ranks.params, whole.params) <= 1e-10);
    CHECK(ranks.stats.rereduced >= (ranks.stats.shared_memory ? 0 : 1));  // one machine sends nothing early
    dist::DataParallelOptions messages = small;
    messages.shared_memory = false;
    const Run sent = train(Mode::mean_of_shards, DType::f64, 12, 4, messages, 2, true);
    CHECK(max_relative_difference(sent.params, whole.params) <= 1e-10);
    CHECK(sent.stats.rereduced >= 1);
    CHECK(same_on_every_rank(ranks.params));
}

TEST_CASE("nn::MLP's Values trained on shards match one process on the whole batch") {
    dist::Context& ctx = test_context();
    const std::size_t n = 12;
    tapegrad::Generator gen(7);
    nn::MLP reference(3, {5, 1}, gen);
    nn::MLP model = reference.clone();
    const auto point = [](std::size_t i, std::size_t j) { return std::cos(static_cast<double>(3 * i + j)); };
    const auto target = [](std::size_t i) { return i % 2 == 0 ? 1.0 : -1.0; };
    const auto loss_over = [&](const nn::MLP& m, std::size_t begin, std::size_t end) {
        std::vector<Value> terms;
        for (std::size_t i = begin; i < end; ++i) {
            const Value score = m({Value(point(i, 0)), Value(point(i, 1)), Value(point(i, 2))})[0];
            terms.push_back((score - target(i)).pow(2));
        }
        return tapegrad::sum(terms) / static_cast<double>(end - begin);
    };
    const int steps = 5;
    {
        tapegrad::optim::SGD opt(reference.parameters(), 0.05, 0.9);
        for (int s = 0; s < steps; ++s) {
            opt.zero_grad();
            loss_over(reference, 0, n).backward();
            opt.step();
            Tape::current().clear();
        }
    }
    tapegrad::optim::SGD opt(model.parameters(), 0.05, 0.9);
    dist::DataParallel ddp(model.parameters(), ctx);
    const auto [begin, end] = dist::shard(n, ctx);
    for (int s = 0; s < steps; ++s) {
        opt.zero_grad();
        loss_over(model, begin, end).backward();
        ddp.synchronize();
        opt.step();
        Tape::current().clear();
    }
    std::vector<double> got, want;
    for (const Value& p : model.parameters()) got.push_back(p.data());
    for (const Value& p : reference.parameters()) want.push_back(p.data());
    CHECK(max_relative_difference(got, want) <= 1e-10);
    CHECK(got != std::vector<double>(got.size(), 0.0));
    CHECK(same_on_every_rank(got));
    CHECK(ddp.stats().bytes_per_step == got.size() * sizeof(double));
}

TEST_CASE("a model that differs between ranks is an Error on every rank naming the difference") {
    dist::Context& ctx = test_context();
    if (ctx.size() < 2) return;
    const bool odd = ctx.rank() == 1;
    using V = std::vector<Tensor>;
    const V count = odd ? V{Tensor::zeros({2, 3}, DType::f32, true), Tensor::zeros({3}, DType::f32, true)}
                        : V{Tensor::zeros({2, 3}, DType::f32, true)};
    CHECK_THROWS_WITH_AS(dist::broadcast_parameters(count, ctx),
                         doctest::Contains("dist::broadcast_parameters: the model differs between ranks: rank 0 has 1 "
                                           "tensor parameters, rank 1 has 2 tensor parameters"),
                         tapegrad::Error);
    CHECK_THROWS_WITH_AS(dist::DataParallel(count, ctx), doctest::Contains("rank 1 has 2 tensor parameters"),
                         tapegrad::Error);
    const V shape{Tensor::zeros({2, odd ? 4 : 3}, DType::f32, true)};
    CHECK_THROWS_WITH_AS(dist::DataParallel(shape, ctx),
                         doctest::Contains("dist::DataParallel: the model differs between ranks: parameter 0: rank 0 "
                                           "has float32 [2, 3], rank 1 has float32 [2, 4]"),
                         tapegrad::Error);
    const V dtype{Tensor::zeros({2, 3}, odd ? DType::f64 : DType::f32, true)};
    CHECK_THROWS_WITH_AS(dist::broadcast_parameters(dtype, ctx),
                         doctest::Contains("parameter 0: rank 0 has float32 [2, 3], rank 1 has float64 [2, 3]"),
                         tapegrad::Error);
    // Values on one rank, tensors on the others.
    Value p = Value::parameter(1.0);
    if (odd) {
        CHECK_THROWS_WITH_AS(dist::DataParallel(std::vector<Value>{p}, ctx),
                             doctest::Contains("rank 0 has 1 tensor parameters, rank 1 has 1 scalar Value parameters"),
                             tapegrad::Error);
    } else {
        CHECK_THROWS_WITH_AS(dist::DataParallel(V{Tensor::zeros({1}, DType::f64, true)}, ctx),
                             doctest::Contains("rank 1 has 1 scalar Value parameters"), tapegrad::Error);
    }
    Value::release_parameter(p);
    // And after all that, the ranks still agree on what comes next.
    Tensor t = Tensor::ones({2});
    dist::all_reduce(t, ctx);
    CHECK(t.to_vector() == std::vector<double>(2, ctx.size()));
}

TEST_CASE("a run resumed from rank 0's checkpoint on every rank reaches the uninterrupted run's parameters") {
    dist::Context& ctx = test_context();
    // One file name for the job: rank 0's process id.
    std::int64_t id = static_cast<std::int64_t>(::getpid());
    MPI_Bcast(&id, 1, MPI_INT64_T, 0, test_comm());
    const std::string path =
        (std::filesystem::temp_directory_path() / ("tapegrad_resume_" + std::to_string(id) + ".tgc")).string();
    const Batch batch = make_batch(12);
    const auto [begin, end] = dist::shard(12, ctx);
    const Tensor x = rows(batch, begin, end, DType::f32);
    const std::vector<std::int64_t> y = labels(batch, begin, end);
    const auto steps = [&](nn::Sequential& model, tapegrad::optim::Optimizer& opt, int n) {
        dist::DataParallel ddp(model.parameters(), ctx);
        for (int s = 0; s < n; ++s) {
            opt.zero_grad();
            nn::cross_entropy(model(x), y).backward();
            ddp.synchronize();
            opt.step();
            Tape::current().clear();
        }
    };
    nn::Sequential whole = make_model(DType::f32, 2);
    tapegrad::optim::Adam whole_opt(whole.parameters(), 0.01);
    steps(whole, whole_opt, 6);

    {
        nn::Sequential first = make_model(DType::f32, 2);
        tapegrad::optim::Adam opt(first.parameters(), 0.01);
        steps(first, opt, 3);
        dist::save_checkpoint(first, opt, path, ctx);
    }
    tapegrad::Generator other(999);  // the resumed model starts elsewhere: the file must set it
    nn::Sequential resumed(nn::Linear(4, 8, true, DType::f32, other), nn::Tanh(),
                           nn::Linear(8, 8, true, DType::f32, other), nn::Tanh(),
                           nn::Linear(8, 3, true, DType::f32, other));
    tapegrad::optim::Adam opt(resumed.parameters(), 0.01);
    dist::load_checkpoint(resumed, opt, path, ctx);
    CHECK(opt.steps() == 3);
    steps(resumed, opt, 3);
    CHECK(flat(resumed.parameters()) == flat(whole.parameters()));
    ctx.barrier();
    if (ctx.rank() == 0) std::filesystem::remove(path);

    tapegrad::optim::SGD sgd(resumed.parameters(), 0.1);
    CHECK_THROWS_WITH_AS(dist::load_checkpoint(resumed, sgd, path + ".missing", ctx),
                         doctest::Contains("dist::load_checkpoint: rank 0: "), tapegrad::Error);
}

TEST_CASE("two backward passes before synchronize (accumulated grads) are reduced exactly") {
    dist::Context& ctx = test_context();
    const Batch batch = make_batch(12);
    const auto run = [&](bool distributed, std::size_t bucket_bytes, bool shared_memory = true) {
        nn::Sequential model = make_model(DType::f64, 2);
        tapegrad::optim::SGD opt(model.parameters(), 0.1, 0.9);
        const auto [begin, end] = distributed ? dist::shard(12, ctx) : std::pair<std::size_t, std::size_t>{0, 12};
        const std::size_t mid = begin + (end - begin) / 2;
        dist::DataParallelOptions options;
        options.bucket_bytes = bucket_bytes;
        options.shared_memory = shared_memory;
        std::unique_ptr<dist::DataParallel> ddp;
        if (distributed) ddp = std::make_unique<dist::DataParallel>(model.parameters(), ctx, options);
        for (int s = 0; s < 4; ++s) {
            opt.zero_grad();
            for (auto [b, e] : {std::pair{begin, mid}, std::pair{mid, end}}) {
                const double share = static_cast<double>(e - b) / static_cast<double>(end - begin);
                (nn::cross_entropy(model(rows(batch, b, e, DType::f64)), labels(batch, b, e)) * share).backward();
            }
            if (ddp) ddp->synchronize();
            opt.step();
            Tape::current().clear();
        }
        return std::pair{flat(model.parameters()), ddp ? ddp->stats() : dist::DataParallelStats{}};
    };
    const auto [whole, none] = run(false, 0);
    for (bool shared_memory : {true, false})
        for (std::size_t bucket_bytes : {std::size_t{64}, std::size_t{1} << 18}) {
            const auto [ranks, stats] = run(true, bucket_bytes, shared_memory);
            CHECK(max_relative_difference(ranks, whole) <= 1e-10);
            // Messages: the first backward's early buckets went stale. One machine sends nothing early.
            if (!stats.shared_memory) CHECK(stats.rereduced >= 1);
            else CHECK(stats.rereduced == 0);
            CHECK(same_on_every_rank(ranks));
        }
}
