// Datasets: the generated toy sets for classification (two moons, spiral, XOR, circles), and
// tables read from CSV for classification or regression, with a train/test split. Every
// generator and the split are deterministic in their seed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tapegrad::data {

/// What a data set's target is learnt as.
enum class Task { classification, regression };
/// "classification" or "regression".
const char* name_of(Task task);

/// n points: features row-major (n x features) and, for classification, labels in [0, classes),
/// for regression, target values.
struct Dataset {
    std::vector<double> x;             ///< n * features values, row after row
    std::vector<int> y;                ///< n labels (classification)
    std::vector<double> t;             ///< n target values (regression)
    Task task = Task::classification;  ///< how the target is learnt
    std::size_t features = 0;
    int classes = 0;
    std::vector<std::string> feature_names;  ///< features names ("x0", "x1" for generated sets)
    std::vector<std::string> class_names;    ///< what label k stood for in the source ("0", "1", ...)
    std::string target_name;                 ///< the column learnt, for tables
    std::string task_reason;                 ///< why the task was chosen, for tables

    std::size_t size() const { return features == 0 ? 0 : x.size() / features; }
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

/// A CSV table as text: the column names and, row by row, its cells.
struct Table {
    std::vector<std::string> columns;
    std::vector<std::vector<std::string>> rows;  ///< each as wide as `columns`
    std::vector<std::size_t> lines;              ///< the line each row starts on, for messages
    std::string source;                          ///< the input's name in messages
};

/// How to read a table. With `header` false, columns are named by their 0-based index ("0",
/// "1", ...); `skip_rows` records are dropped before the header (or the first row).
struct CsvOptions {
    bool header = true;
    std::size_t skip_rows = 0;
};

/// Reads CSV as RFC 4180 writes it: cells separated by commas; a cell in double quotes may hold
/// commas, line breaks and doubled quotes (""); LF or CRLF line ends; a UTF-8 byte order mark at
/// the start; blank lines are skipped; spaces around a cell are dropped. Raises Error naming the
/// line and column of an unclosed quote or of text after a closing quote, a row with another
/// number of cells than the header, empty or duplicate column names, or an empty input.
Table read_table(std::istream& in, const std::string& source = "<csv>", const CsvOptions& options = {});
/// read_table on a file.
Table read_table_file(const std::string& path, const CsvOptions& options = {});

/// A cell as a finite number, or an Error naming the table, line, column and the cell.
double number_cell(const Table& t, std::size_t row, std::size_t col);
/// The index of the column named `name`, or an Error listing the columns.
std::size_t column_index(const Table& t, const std::string& name);

/// Turns a table into a data set: the `target` column is learnt, the others are the features
/// (numbers only). Without a task, a target holding text, or integers only, is classification;
/// other numbers are regression. Class labels are the target's distinct values in sorted order
/// (numeric order for numbers), at most `max_classes` of them. Raises Error for a bad feature
/// cell (line, column, value), classification of non-integer numbers (naming the column and its
/// number of distinct values), regression of a non-number, or too many classes.
Dataset to_dataset(const Table& t, const std::string& target, std::optional<Task> task = std::nullopt,
                   int max_classes = 1000);

/// read_table then to_dataset with the task chosen from the target's values.
Dataset read_csv(std::istream& in, const std::string& target, const std::string& source = "<csv>",
                 int max_classes = 1000);
/// read_csv on a file.
Dataset read_csv_file(const std::string& path, const std::string& target, int max_classes = 1000);

/// Splits d into (train, test): `test_fraction` of the rows, chosen at random from `seed`, go to
/// test, in their original order. Classification splits each class alike (stratified). Raises
/// Error unless 0 < test_fraction < 1 and both parts get at least one row.
std::pair<Dataset, Dataset> train_test_split(const Dataset& d, double test_fraction, std::uint64_t seed);

/// The rows train_test_split puts in each part, ascending (0-based row numbers of d).
struct Split {
    std::vector<std::size_t> train, test;
};
Split split_rows(const Dataset& d, double test_fraction, std::uint64_t seed);
/// The rows `rows` of d, in that order.
Dataset subset(const Dataset& d, const std::vector<std::size_t>& rows);

/// Per-feature mean and standard deviation, for standardising inputs.
struct Scaling {
    std::vector<double> mean, scale;
};
/// Computes the scaling of d's features (a constant feature gets scale 1).
Scaling fit_scaling(const Dataset& d);
/// (x - mean) / scale, feature by feature, in place.
void apply_scaling(Dataset& d, const Scaling& s);

}  // namespace tapegrad::data
