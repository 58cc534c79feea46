// What a model file saved by `tapegrad train` carries so that `tapegrad predict` can use it:
// the engine and layer sizes, the features and their standardisation, the task, and the class
// names or the target's scale. Stored as the checkpoint's metadata (docs/FILE_FORMAT.md).
#pragma once

#include <string>
#include <vector>

#include <tapegrad/checkpoint.hpp>
#include <tapegrad/data.hpp>

namespace tapegrad::cli {

struct ModelInfo {
    std::string engine = "scalar";   // "scalar" or "tensor"
    std::vector<std::size_t> sizes;  // {features, hidden..., outputs}
    data::Task task = data::Task::classification;
    std::vector<std::string> features;             // the table's feature columns, in the model's order
    data::Scaling scaling;                         // their mean and scale on the training rows
    std::string target;                            // the column learnt
    std::vector<std::string> classes;              // classification: label k's name
    double target_mean = 0.0, target_scale = 1.0;  // regression: prediction = output * scale + mean
};

Metadata to_metadata(const ModelInfo& info);
// Raises Error naming the file and the missing or malformed entry (a file saved without them,
// such as a version-1 file, has none).
ModelInfo from_metadata(const Metadata& m, const std::string& path);

// The shortest text that reads back as exactly v.
std::string number_text(double v);

}  // namespace tapegrad::cli
