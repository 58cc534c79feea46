// Getting a CSV table ready for `tapegrad train`.
#pragma once

#include <string>

#include <tapegrad/data.hpp>

#include "model_file.hpp"

namespace tapegrad::cli {

struct TableArgs {
    std::string csv, target, task;  // task: "", "classification" or "regression"
    bool no_header = false;
    std::size_t skip_rows = 0;
};

// Reads the table and makes the data set, printing the task chosen and why, the class mapping,
// and a note when the target names a column by a number that is not its index.
data::Dataset read_table_data(const TableArgs& a);

// Standardises the features (when `features`; generated sets are left as they are) and, for
// regression, the target, with the training rows' mean and scale, recorded in `info`.
void standardise(data::Dataset& train, data::Dataset& test, ModelInfo& info, bool features);

}  // namespace tapegrad::cli
