// Getting a table ready for training: read, task chosen and said, features and target
// standardised on the training rows.
#include "prepare.hpp"

#include <cmath>
#include <cstdio>

namespace tapegrad::cli {

// A CSV table as a data set, saying which task was chosen and why, and which class is which.
data::Dataset read_table_data(const TableArgs& a) {
    const data::Table table = data::read_table_file(a.csv, {!a.no_header, a.skip_rows});
    std::optional<data::Task> task;
    if (!a.task.empty()) task = a.task == "regression" ? data::Task::regression : data::Task::classification;
    data::Dataset d = data::to_dataset(table, a.target, task);
    // A header of numbers is often a first row of data (sklearn's files): say so.
    const std::size_t col = data::column_index(table, a.target);
    if (!a.no_header && a.target.find_first_not_of("0123456789") == std::string::npos &&
        a.target != std::to_string(col))
        std::printf(
            "note: '%s' is the name of column %zu here; if the first row is data, use --no-header (and "
            "--skip-rows)\n",
            a.target.c_str(), col);
    std::printf("%s: %s\n", data::name_of(d.task), d.task_reason.c_str());
    if (d.task == data::Task::classification) {
        std::string map;
        for (int k = 0; k < d.classes && k < 30; ++k)
            map += (k ? ", " : "") + std::to_string(k) + " = " + d.class_names[static_cast<std::size_t>(k)];
        if (d.classes > 30) map += ", ...";
        std::printf("classes: %s\n", map.c_str());
    }
    return d;
}

void standardise(data::Dataset& train, data::Dataset& test, ModelInfo& info, bool features) {
    // The training rows' statistics only, so that the test rows stay unseen.
    if (features) {
        info.scaling = data::fit_scaling(train);
        data::apply_scaling(train, info.scaling);
        if (test.size() > 0) data::apply_scaling(test, info.scaling);
    } else {
        info.scaling = {std::vector<double>(train.features, 0.0), std::vector<double>(train.features, 1.0)};
    }
    if (train.task != data::Task::regression || train.t.empty()) return;
    double mean = 0.0, var = 0.0;
    for (double t : train.t) mean += t;
    mean /= static_cast<double>(train.t.size());
    for (double t : train.t) var += (t - mean) * (t - mean);
    const double sd = std::sqrt(var / static_cast<double>(train.t.size()));
    info.target_mean = mean;
    info.target_scale = sd > 0.0 ? sd : 1.0;
    for (data::Dataset* s : {&train, &test})
        for (double& t : s->t) t = (t - info.target_mean) / info.target_scale;
}

}  // namespace tapegrad::cli
