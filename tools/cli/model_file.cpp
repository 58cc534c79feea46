// ModelInfo to and from checkpoint metadata: lists of text, numbers written to round-trip.
#include "model_file.hpp"

#include <charconv>
#include <cmath>

#include <tapegrad/error.hpp>

namespace tapegrad::cli {

std::string number_text(double v) {
    char buf[32];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    return ec == std::errc() ? std::string(buf, end) : std::string("nan");
}

namespace {

std::vector<std::string> texts(const std::vector<double>& v) {
    std::vector<std::string> out;
    for (double x : v) out.push_back(number_text(x));
    return out;
}

class Entries {
public:
    Entries(const Metadata& m, const std::string& path) : m_(m), path_(path) {}
    const std::vector<std::string>& list(const std::string& key) const {
        const auto it = m_.find(key);
        if (it == m_.end())
            throw Error("model file '" + path_ + "' has no '" + key + "' entry: it was not saved by tapegrad train " +
                        "(or by a version that did not record what predicting needs); retrain with --save");
        return it->second;
    }
    const std::string& one(const std::string& key) const {
        const std::vector<std::string>& v = list(key);
        if (v.size() != 1) bad(key, std::to_string(v.size()) + " values, expected 1");
        return v[0];
    }
    std::vector<double> numbers(const std::string& key) const {
        std::vector<double> out;
        for (const std::string& s : list(key)) {
            double x = 0;
            const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), x);
            if (s.empty() || ec != std::errc() || end != s.data() + s.size() || !std::isfinite(x))
                bad(key, std::string("'").append(s.substr(0, 40)).append("' is not a finite number"));
            out.push_back(x);
        }
        return out;
    }
    double number(const std::string& key) const {
        const std::vector<double> v = numbers(key);
        if (v.size() != 1) bad(key, std::to_string(v.size()) + " values, expected 1");
        return v[0];
    }
    [[noreturn]] void bad(const std::string& key, const std::string& why) const {
        throw Error("model file '" + path_ + "': the '" + key + "' entry is malformed: " + why);
    }

private:
    const Metadata& m_;
    const std::string& path_;
};

}  // namespace

Metadata to_metadata(const ModelInfo& info) {
    Metadata m;
    m["engine"] = {info.engine};
    for (std::size_t s : info.sizes) m["sizes"].push_back(std::to_string(s));
    m["task"] = {data::name_of(info.task)};
    m["features"] = info.features;
    m["feature_mean"] = texts(info.scaling.mean);
    m["feature_scale"] = texts(info.scaling.scale);
    m["target"] = {info.target};
    if (info.task == data::Task::classification) {
        m["classes"] = info.classes;
    } else {
        m["target_mean"] = {number_text(info.target_mean)};
        m["target_scale"] = {number_text(info.target_scale)};
    }
    return m;
}

ModelInfo from_metadata(const Metadata& m, const std::string& path) {
    const Entries e(m, path);
    ModelInfo info;
    const std::string& task = e.one("task");
    if (task != "classification" && task != "regression")
        e.bad("task", std::string("'").append(task).append("' is not classification or regression"));
    info.task = task == "regression" ? data::Task::regression : data::Task::classification;
    info.engine = e.one("engine");
    if (info.engine != "scalar" && info.engine != "tensor")
        e.bad("engine", std::string("'").append(info.engine).append("' is not scalar or tensor"));
    for (double s : e.numbers("sizes")) {
        if (s < 1 || s > 100000 || s != std::trunc(s)) e.bad("sizes", number_text(s) + " is not a layer size");
        info.sizes.push_back(static_cast<std::size_t>(s));
    }
    info.features = e.list("features");
    info.scaling.mean = e.numbers("feature_mean");
    info.scaling.scale = e.numbers("feature_scale");
    if (info.sizes.size() < 2 || info.sizes.front() != info.features.size() ||
        info.scaling.mean.size() != info.features.size() || info.scaling.scale.size() != info.features.size())
        e.bad("sizes", "the model's inputs, the features and their scaling disagree in number");
    info.target = e.one("target");
    if (info.task == data::Task::classification) {
        info.classes = e.list("classes");
        const std::size_t want = info.classes.size() == 2 ? 1 : info.classes.size();
        if (info.classes.size() < 2 || (info.sizes.back() != want && info.sizes.back() != info.classes.size()))
            e.bad("classes", std::to_string(info.classes.size()) + " classes for " + std::to_string(info.sizes.back()) +
                                 " outputs");
    } else {
        info.target_mean = e.number("target_mean");
        info.target_scale = e.number("target_scale");
        if (info.sizes.back() != 1) e.bad("sizes", "a regression model has one output");
        if (!(info.target_scale > 0.0)) e.bad("target_scale", "it must be positive");
    }
    return info;
}

}  // namespace tapegrad::cli
