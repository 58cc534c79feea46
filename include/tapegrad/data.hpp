// Datasets for classification: the generated toy sets (two moons, spiral, XOR, circles) and a
// CSV reader. Every generator is deterministic in its seed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

namespace tapegrad::data {

/// n labelled points: features row-major (n x features), labels in [0, classes).
struct Dataset {
    std::vector<double> x;                   ///< n * features values, row after row
    std::vector<int> y;                      ///< n labels
    std::size_t features = 0;
    int classes = 0;
    std::vector<std::string> feature_names;  ///< features names ("x0", "x1" for generated sets)
    std::vector<std::string> class_names;    ///< what label k stood for in the source ("0", "1", ...)

    std::size_t size() const { return y.size(); }
    /// Features of point i.
    const double* row(std::size_t i) const { return x.data() + i * features; }
};

/// sklearn.datasets.make_moons: n points on two interleaving half circles, Gaussian noise of
/// standard deviation `noise` added; labels 0 (upper moon) and 1.
Dataset make_moons(std::size_t n, double noise = 0.1, std::uint64_t seed = 0);
/// Andrej Karpathy's CS231n spiral: `classes` arms of n_per_class points each, radius 0..1.
Dataset make_spiral(std::size_t n_per_class, int classes = 3, double noise = 0.2, std::uint64_t seed = 0);
/// Points uniform in [-1, 1]^2, label 1 where x0 * x1 < 0 (XOR of the signs); noise jitters the
/// points after labelling.
Dataset make_xor(std::size_t n, double noise = 0.0, std::uint64_t seed = 0);
/// sklearn.datasets.make_circles: an outer circle (label 0) of radius 1 and an inner one (label 1)
/// of radius `factor`.
Dataset make_circles(std::size_t n, double noise = 0.05, double factor = 0.5, std::uint64_t seed = 0);
/// One of "moons", "spiral", "xor", "circles" by name; raises Error for another name.
Dataset make_dataset(const std::string& name, std::size_t n, double noise, std::uint64_t seed);

/// Reads a CSV table: a header row of column names, then one row per point, cells separated by
/// commas, every cell a finite decimal number (surrounding spaces and double quotes around a
/// name are allowed; blank lines are skipped; CRLF line ends are accepted). The `target` column
/// holds class labels: its distinct values, sorted, become labels 0, 1, ... (at most
/// `max_classes`); the other columns are the features. `source` names the input in messages.
/// Raises Error naming the line and column of the first bad cell, a row with the wrong number
/// of cells, a missing target column, or an empty table.
Dataset read_csv(std::istream& in, const std::string& target, const std::string& source = "<csv>",
                 int max_classes = 1000);
/// read_csv on a file.
Dataset read_csv_file(const std::string& path, const std::string& target, int max_classes = 1000);

/// Per-feature mean and standard deviation, for standardising inputs.
struct Scaling {
    std::vector<double> mean, scale;
};
/// Computes the scaling of d's features (a constant feature gets scale 1).
Scaling fit_scaling(const Dataset& d);
/// (x - mean) / scale, feature by feature, in place.
void apply_scaling(Dataset& d, const Scaling& s);

}  // namespace tapegrad::data
