// Scores on held-out or training rows, and the JSON report.
#include "scores.hpp"

#include <cmath>
#include <cstdio>
#include <numeric>

#include "model_file.hpp"

namespace tapegrad::cli {

Scores score(Trainable& model, const data::Dataset& d, double target_scale) {
    Scores s;
    s.rows = d.size();
    if (s.rows == 0) return s;
    std::vector<std::size_t> rows(s.rows);
    std::iota(rows.begin(), rows.end(), std::size_t{0});
    s.loss = model.evaluate(d, rows, s.right);
    if (d.task == data::Task::classification) {
        s.accuracy = static_cast<double>(s.right) / static_cast<double>(s.rows);
        return s;
    }
    // R^2 = 1 - SSE / SST, both on the standardised target (the ratio does not depend on units).
    double mean = 0.0, sse = 0.0, sst = 0.0;
    for (double t : d.t) mean += t;
    mean /= static_cast<double>(s.rows);
    for (std::size_t i = 0; i < s.rows; ++i) {
        const double e = model.outputs(d.row(i))[0] - d.t[i];
        sse += e * e;
        sst += (d.t[i] - mean) * (d.t[i] - mean);
    }
    s.rmse = std::sqrt(sse / static_cast<double>(s.rows)) * target_scale;
    s.r2 = sst > 0.0 ? 1.0 - sse / sst : NAN;
    return s;
}

std::string scores_line(const Scores& s, data::Task task) {
    char buf[160];
    if (task == data::Task::classification)
        std::snprintf(buf, sizeof buf, "loss %.4f  accuracy %5.1f%% (%zu/%zu)", s.loss, 100.0 * s.accuracy, s.right,
                      s.rows);
    else std::snprintf(buf, sizeof buf, "loss %.4f  RMSE %.4g  R\u00b2 %.3f  (%zu rows)", s.loss, s.rmse, s.r2, s.rows);
    return buf;
}

namespace {

std::string json_string(const std::string& s) {
    std::string out = "\"";
    for (unsigned char c : s) {
        if (c == '"' || c == '\\') out += '\\', out += static_cast<char>(c);
        else if (c < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
        } else out += static_cast<char>(c);
    }
    return out + "\"";
}

std::string json_number(double v) { return std::isfinite(v) ? number_text(v) : "null"; }

std::string json_scores(const Scores& s, data::Task task) {
    std::string out = "{\"rows\": " + std::to_string(s.rows) + ", \"loss\": " + json_number(s.loss);
    if (task == data::Task::classification) out += ", \"accuracy\": " + json_number(s.accuracy);
    else out += ", \"rmse\": " + json_number(s.rmse) + ", \"r2\": " + json_number(s.r2);
    return out + "}";
}

}  // namespace

std::string report_json(const Report& r) {
    std::string out =
        "{\n  \"task\": " + json_string(data::name_of(r.task)) + ",\n  \"target\": " + json_string(r.target);
    if (r.task == data::Task::classification) {
        out += ",\n  \"classes\": [";
        for (std::size_t i = 0; i < r.classes.size(); ++i) out += (i ? ", " : "") + json_string(r.classes[i]);
        out += "]";
    }
    out += ",\n  \"model\": " + json_string(r.model) + ",\n  \"epochs\": " + std::to_string(r.epochs) +
           ",\n  \"seconds\": " + json_number(r.seconds) + ",\n  \"train\": " + json_scores(r.train, r.task);
    if (r.has_test) {
        out += ",\n  \"test\": " + json_scores(r.test, r.task) + ",\n  \"test_rows\": [";
        for (std::size_t i = 0; i < r.test_rows.size(); ++i) out += (i ? ", " : "") + std::to_string(r.test_rows[i]);
        out += "]";
    }
    return out + "\n}\n";
}

}  // namespace tapegrad::cli
