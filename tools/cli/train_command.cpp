// tapegrad train: fit a classifier or a regression to a generated dataset or a CSV table, with
// a progress bar, held-out scores, a JSON report, checkpoints and SVG plots.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <numeric>
#include <optional>

#include <tapegrad/data.hpp>
#include <tapegrad/nn/init.hpp>

#include "commands.hpp"
#include "model_file.hpp"
#include "options.hpp"
#include "plot.hpp"
#include "prepare.hpp"
#include "scores.hpp"
#include "train.hpp"

namespace tapegrad::cli {

namespace {

constexpr const char* kHelp =
    "usage: tapegrad train [options]\n"
    "\n"
    "Trains a classifier or a regression and reports its loss and accuracy (or RMSE and R\u00b2). By\n"
    "default: MLP(2, [16, 16, 1]) on 100 two-moons points for 100 epochs of full-batch SGD,\n"
    "micrograd's demo.\n"
    "\n"
    "data:\n"
    "  --data NAME       a generated set: moons (default), spiral (3 classes), xor, circles\n"
    "  --samples N       points to generate (default 100; spiral 300)\n"
    "  --noise X         noise of the generated points (default moons 0.1, spiral 0.2, xor 0.1,\n"
    "                    circles 0.05)\n"
    "  --csv FILE        read a CSV table instead (RFC 4180: quoted cells, CRLF, a BOM); features\n"
    "                    must be numbers and are standardised to mean 0 and variance 1 on the\n"
    "                    training rows\n"
    "  --target COLUMN   the CSV column to learn (required with --csv)\n"
    "  --no-header       the first row is data: columns are named by 0-based index (--target 4)\n"
    "  --skip-rows N     drop N rows before the header (or the first row)\n"
    "  --task TASK       classification or regression (default: a target with text, or integers\n"
    "                    only, is classification; other numbers regression). Text labels become\n"
    "                    classes in sorted order; regression standardises the target and fits it\n"
    "                    with MSE, and reports RMSE and R\u00b2 in the target's units\n"
    "  --test-split F    hold out a seeded random fraction F of the rows (stratified by class) and\n"
    "                    report the loss and accuracy, or RMSE and R\u00b2, on them\n"
    "model:\n"
    "  --model SIZES     layer sizes, inputs first, e.g. 2,16,16,1 (default: inputs,16,16,outputs);\n"
    "                    ReLU between layers. One output: a hinge loss (micrograd's); one output\n"
    "                    per class: softmax cross-entropy. Both add an L2 penalty of 1e-4.\n"
    "  --tensor          train on the tensor engine instead: Linear and ReLU modules, f32, one\n"
    "                    matmul per layer and batch; one output uses binary cross-entropy on the\n"
    "                    logit, several softmax cross-entropy (no L2)\n"
    "                    Regression: one output and MSE on either engine.\n"
    "  --distributed     with --tensor, under mpirun: data-parallel over the ranks, each on its\n"
    "                    share of every batch; rank 0 prints and saves (docs/DISTRIBUTED.md)\n"
    "training:\n"
    "  --epochs N        passes over the data (default 100; 0 only evaluates)\n"
    "  --batch N         points per step (default: all of them)\n"
    "  --optimizer NAME  sgd (default) or adam\n"
    "  --lr X            starting learning rate (default: sgd 1.0, adam 0.01), decayed linearly to a\n"
    "                    tenth of it over the epochs (micrograd's schedule)\n"
    "  --seed N          seeds the weights, the generated points and the batch order (default 1)\n"
    "files:\n"
    "  --load FILE       start from the parameters in FILE (same --model)\n"
    "  --save FILE       write the trained model to FILE (atomically; docs/FILE_FORMAT.md), with\n"
    "                    what tapegrad predict needs: features, scaling, task, classes\n"
    "  --report FILE     write the training and test scores as JSON\n"
    "  --plot DIR        write DIR/loss.svg and, for 2-d data, DIR/boundary.svg\n"
    "\n"
    "On a terminal a progress bar shows loss, accuracy and steps per second; otherwise a line is\n"
    "printed every tenth of the epochs.\n";

struct Args {
    std::string dataset = "moons", csv, target, model, optimizer = "sgd", load, save, plot, task, report;
    std::size_t samples = 0, epochs = 100, batch = 0, skip_rows = 0;
    double noise = -1.0, lr = 0.0, test_split = 0.0;
    bool no_header = false;
    std::uint64_t seed = 1;
    bool tensor = false, distributed = false;
};

Args parse(const std::vector<std::string>& args) {
    Args a;
    bool data_given = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& o = args[i];
        if (o == "--data") a.dataset = option_value(args, i), data_given = true;
        else if (o == "--samples") a.samples = parse_count(o, option_value(args, i), 1, 10'000'000);
        else if (o == "--noise") a.noise = parse_number(o, option_value(args, i), 0.0, 100.0);
        else if (o == "--csv") a.csv = option_value(args, i);
        else if (o == "--target") a.target = option_value(args, i);
        else if (o == "--model") a.model = option_value(args, i);
        else if (o == "--epochs") a.epochs = parse_count(o, option_value(args, i), 0, 100'000'000);
        else if (o == "--batch") a.batch = parse_count(o, option_value(args, i), 1, 100'000'000);
        else if (o == "--optimizer") a.optimizer = option_value(args, i);
        else if (o == "--lr") a.lr = parse_number(o, option_value(args, i), 1e-12, 1e6);
        else if (o == "--seed") a.seed = parse_count(o, option_value(args, i), 0, UINT64_MAX);
        else if (o == "--load") a.load = option_value(args, i);
        else if (o == "--save") a.save = option_value(args, i);
        else if (o == "--plot") a.plot = option_value(args, i);
        else if (o == "--tensor") a.tensor = true;
        else if (o == "--no-header") a.no_header = true;
        else if (o == "--skip-rows") a.skip_rows = parse_count(o, option_value(args, i), 0, 1'000'000);
        else if (o == "--task") a.task = option_value(args, i);
        else if (o == "--test-split") a.test_split = parse_number(o, option_value(args, i), 1e-9, 1.0 - 1e-9);
        else if (o == "--report") a.report = option_value(args, i);
        else if (o == "--distributed") a.distributed = true;
        else throw UsageError("unknown option '" + o + "'");
    }
    if (a.optimizer != "sgd" && a.optimizer != "adam")
        throw UsageError("--optimizer: '" + a.optimizer + "' is not sgd or adam");
    if (a.distributed && !a.tensor) throw UsageError("--distributed needs --tensor");
    if (!a.csv.empty() && a.target.empty()) throw UsageError("--csv needs --target COLUMN naming the labels");
    if (a.csv.empty() && !a.target.empty()) throw UsageError("--target is for --csv");
    if (a.csv.empty() && (a.no_header || a.skip_rows || !a.task.empty()))
        throw UsageError("--no-header, --skip-rows and --task are for --csv");
    if (!a.task.empty() && a.task != "classification" && a.task != "regression")
        throw UsageError("--task: '" + a.task + "' is not classification or regression");
    if (!a.csv.empty() && data_given) throw UsageError("--data and --csv exclude each other");
    if (a.csv.empty() && a.dataset != "moons" && a.dataset != "spiral" && a.dataset != "xor" && a.dataset != "circles")
        throw UsageError("--data: '" + a.dataset + "' is not moons, spiral, xor or circles");
    if (a.lr == 0.0) a.lr = a.optimizer == "adam" ? 0.01 : 1.0;
    return a;
}

std::string percent(double x) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%5.1f%%", 100.0 * x);
    return buf;
}

}  // namespace

int train(const std::vector<std::string>& args) {
    for (const std::string& a : args)
        if (a == "--help" || a == "-h") {
            std::fputs(kHelp, stdout);
            return 0;
        }
    Args a = parse(args);

    data::Dataset d, test;
    std::string source;
    ModelInfo info;
    if (!a.csv.empty()) {
        d = read_table_data({a.csv, a.target, a.task, a.no_header, a.skip_rows});
        source = a.csv;
    } else {
        const double noise = a.noise >= 0.0           ? a.noise
                             : a.dataset == "spiral"  ? 0.2
                             : a.dataset == "circles" ? 0.05
                                                      : 0.1;
        const std::size_t n = a.samples > 0 ? a.samples : a.dataset == "spiral" ? 300 : 100;
        d = data::make_dataset(a.dataset, n, noise, a.seed);
        source = a.dataset;
    }
    const bool regression = d.task == data::Task::regression;
    if (!regression && d.classes < 2)
        throw UsageError("the data has a single class ('" + d.class_names.at(0) + "'): nothing to learn");
    const bool held_out = a.test_split > 0.0;
    data::Split split;
    if (held_out) {
        split = data::split_rows(d, a.test_split, a.seed);
        test = data::subset(d, split.test);
        d = data::subset(d, split.train);
    }
    standardise(d, test, info, !a.csv.empty());

    TrainOptions o;
    o.optimizer = a.optimizer;
    o.lr = a.lr;
    o.seed = a.seed;
    o.regression = regression;
    const std::size_t outputs = regression || d.classes == 2 ? 1 : static_cast<std::size_t>(d.classes);
    o.sizes = a.model.empty() ? std::vector<std::size_t>{d.features, 16, 16, outputs} : parse_sizes("--model", a.model);
    if (o.sizes.front() != d.features)
        throw UsageError("--model starts with " + std::to_string(o.sizes.front()) + " inputs, the data has " +
                         std::to_string(d.features) + " features");
    if (regression && o.sizes.back() != 1)
        throw UsageError("--model ends with " + std::to_string(o.sizes.back()) + " outputs, regression needs 1");
    if (!regression && !(o.sizes.back() == 1 && d.classes == 2) &&
        o.sizes.back() != static_cast<std::size_t>(d.classes))
        throw UsageError("--model ends with " + std::to_string(o.sizes.back()) + " outputs, the data has " +
                         std::to_string(d.classes) + " classes (use " +
                         (d.classes == 2 ? std::string("1 or 2") : std::to_string(d.classes)) + ")");

    std::unique_ptr<Trainable> model = a.distributed ? make_distributed_tensor_model(o)
                                       : a.tensor    ? make_tensor_model(o)
                                                     : make_scalar_model(o);
    if (a.distributed && !distributed_root()) {  // rank 0 alone prints and writes files
        if (std::freopen("/dev/null", "w", stdout) == nullptr) throw std::runtime_error("cannot silence stdout");
        a.plot.clear();
        a.report.clear();
    }
    if (!a.load.empty()) model->load(a.load);
    if (regression)
        std::printf("%s, %zu parameters; %s: %zu points, %zu features, target '%s'\n", model->describe().c_str(),
                    model->parameter_count(), source.c_str(), d.size(), d.features, d.target_name.c_str());
    else
        std::printf("%s, %zu parameters; %s: %zu points, %zu features, %d classes\n", model->describe().c_str(),
                    model->parameter_count(), source.c_str(), d.size(), d.features, d.classes);
    if (held_out)
        std::printf("held out %zu of %zu rows for testing (--test-split %g)\n", test.size(), test.size() + d.size(),
                    a.test_split);
    std::fflush(stdout);

    const bool tty = ::isatty(::fileno(stdout)) != 0;
    const std::size_t n = d.size();
    const std::size_t batch = a.batch == 0 ? n : std::min(a.batch, n);
    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), std::size_t{0});
    nn::Generator shuffle(a.seed ^ 0x9e3779b97f4a7c15ULL);
    std::vector<double> losses, accuracies;
    std::size_t steps = 0;
    using clock = std::chrono::steady_clock;
    const auto start = clock::now();
    auto last_draw = start;
    const std::size_t log_every = std::max<std::size_t>(1, a.epochs / 10);

    for (std::size_t epoch = 0; epoch < a.epochs; ++epoch) {
        model->set_lr(a.lr * (1.0 - 0.9 * static_cast<double>(epoch) / static_cast<double>(a.epochs)));
        if (batch < n)
            for (std::size_t i = n - 1; i > 0; --i) std::swap(order[i], order[nn::below(shuffle, i + 1)]);
        double loss = 0.0;
        std::size_t correct = 0;
        for (std::size_t at = 0; at < n; at += batch) {
            const std::size_t len = std::min(batch, n - at);
            loss += model->train_step(d, std::span<const std::size_t>(order.data() + at, len), correct) *
                    static_cast<double>(len);
            ++steps;
        }
        losses.push_back(loss / static_cast<double>(n));
        if (!regression) accuracies.push_back(static_cast<double>(correct) / static_cast<double>(n));
        const auto now = clock::now();
        const double secs = std::chrono::duration<double>(now - start).count();
        const double rate = secs > 0 ? static_cast<double>(steps) / secs : 0.0;
        const bool last = epoch + 1 == a.epochs;
        const std::string acc = regression ? std::string() : "  accuracy " + percent(accuracies.back());
        if (tty) {
            if (last || now - last_draw > std::chrono::milliseconds(100)) {
                last_draw = now;
                constexpr int kWidth = 24;
                const int filled =
                    static_cast<int>(kWidth * static_cast<double>(epoch + 1) / static_cast<double>(a.epochs));
                std::string bar(static_cast<std::size_t>(filled), '#');
                bar.resize(kWidth, '.');
                std::printf("\r  epoch %zu/%zu [%s] loss %.4f%s  %.0f steps/s   ", epoch + 1, a.epochs, bar.c_str(),
                            losses.back(), acc.c_str(), rate);
                if (last) std::printf("\n");
                std::fflush(stdout);
            }
        } else if ((epoch + 1) % log_every == 0 || last) {
            std::printf("epoch %zu/%zu  loss %.4f%s  %.0f steps/s\n", epoch + 1, a.epochs, losses.back(), acc.c_str(),
                        rate);
            std::fflush(stdout);
        }
    }
    const double secs = std::chrono::duration<double>(clock::now() - start).count();

    Report report;
    report.task = d.task;
    report.target = d.target_name;
    report.classes = d.class_names;
    report.model = model->describe();
    report.epochs = a.epochs;
    report.seconds = secs;
    report.train = score(*model, d, info.target_scale);
    if (regression)
        std::printf("trained %zu epochs (%zu steps) in %.3f s: training RMSE %.4g, R\u00b2 %.3f\n", a.epochs, steps,
                    secs, report.train.rmse, report.train.r2);
    else
        std::printf("trained %zu epochs (%zu steps) in %.3f s: training accuracy %s (%zu/%zu)%s\n", a.epochs, steps,
                    secs, percent(report.train.accuracy).c_str(), report.train.right, n,
                    losses.empty() ? "" : (", final loss " + std::to_string(losses.back())).c_str());
    if (held_out) {
        report.has_test = true;
        report.test = score(*model, test, info.target_scale);
        report.test_rows = split.test;
        std::printf("train: %s\n", scores_line(report.train, d.task).c_str());
        std::printf("test:  %s\n", scores_line(report.test, d.task).c_str());
    }
    if (!a.report.empty()) {
        write_file(a.report, report_json(report));
        std::printf("wrote %s\n", a.report.c_str());
    }

    if (!a.save.empty()) {
        info.engine = a.tensor ? "tensor" : "scalar";
        info.sizes = o.sizes;
        info.task = d.task;
        info.features = d.feature_names;
        info.target = d.target_name.empty() ? "label" : d.target_name;
        info.classes = d.class_names;
        model->save(a.save, to_metadata(info));
        std::printf("saved %s\n", a.save.c_str());
    }
    if (!a.plot.empty()) {
        std::error_code ec;
        std::filesystem::create_directories(a.plot, ec);
        if (ec) throw std::runtime_error("cannot create directory '" + a.plot + "': " + ec.message());
        const std::string title = model->describe() + " on " + source;
        write_file(a.plot + "/loss.svg", loss_svg(losses, accuracies, "loss and accuracy: " + title));
        std::printf("wrote %s/loss.svg\n", a.plot.c_str());
        if (d.features == 2 && !regression) {
            const auto predict = [&](double x, double y) {
                const double p[2] = {x, y};
                return decide(model->outputs(p));
            };
            write_file(a.plot + "/boundary.svg", boundary_svg(d, predict, "decision boundary: " + title));
            std::printf("wrote %s/boundary.svg\n", a.plot.c_str());
        }
    }
    return 0;
}

}  // namespace tapegrad::cli
