// How well a trained model does on a set of rows, and the JSON report of `tapegrad train`.
#pragma once

#include <string>
#include <vector>

#include <tapegrad/data.hpp>

#include "train.hpp"

namespace tapegrad::cli {

struct Scores {
    std::size_t rows = 0;
    double loss = 0.0;      // the training loss's mean, without the L2 penalty
    std::size_t right = 0;  // classification: rows classified correctly
    double accuracy = 0.0;
    double rmse = 0.0, r2 = 0.0;  // regression, in the target's own units
};

// Scores of `model` on all of d; for regression d.t is standardised and `target_scale` undoes it.
Scores score(Trainable& model, const data::Dataset& d, double target_scale);

// One line: "loss 0.0123  accuracy  98.9% (356/360)" or "loss 0.12  RMSE 3.05  R² 0.874".
std::string scores_line(const Scores& s, data::Task task);

struct Report {
    data::Task task = data::Task::classification;
    std::string target, model;
    std::vector<std::string> classes;
    std::size_t epochs = 0;
    double seconds = 0.0;
    Scores train;
    bool has_test = false;
    Scores test;
    std::vector<std::size_t> test_rows;  // 0-based data rows held out, so others can score the same split
};
// The report as a JSON object (numbers that are not finite become null).
std::string report_json(const Report& r);

}  // namespace tapegrad::cli
