// From a Table to a Dataset: features as numbers, the target as class labels or as values, the
// task chosen from what the target holds when it is not given.
#include <charconv>
#include <cmath>
#include <map>

#include "csv_detail.hpp"
#include "tapegrad/data.hpp"
#include "tapegrad/error.hpp"

namespace tapegrad::data {

namespace {

bool parse_finite(const std::string& cell, double& v) {
    const auto [end, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), v);
    return !cell.empty() && ec == std::errc() && end == cell.data() + cell.size() && std::isfinite(v);
}

bool is_integer(double v) { return v == std::trunc(v) && std::fabs(v) <= 9007199254740992.0; }  // 2^53

std::string integer_text(double v) { return std::to_string(static_cast<long long>(v)); }

}  // namespace

const char* name_of(Task task) { return task == Task::regression ? "regression" : "classification"; }

Dataset to_dataset(const Table& t, const std::string& target, std::optional<Task> task, int max_classes) {
    const std::string where = "read_csv: " + t.source;
    const std::size_t tc = column_index(t, target);
    if (t.columns.size() < 2) throw Error(where + ": the target '" + target + "' is the only column: no features");
    if (t.rows.empty()) throw Error(where + ": the table has a header but no rows");

    Dataset d;
    d.features = t.columns.size() - 1;
    d.target_name = target;
    for (std::size_t c = 0; c < t.columns.size(); ++c)
        if (c != tc) d.feature_names.push_back(t.columns[c]);
    d.x.reserve(t.rows.size() * d.features);
    for (std::size_t r = 0; r < t.rows.size(); ++r)
        for (std::size_t c = 0; c < t.columns.size(); ++c)
            if (c != tc) d.x.push_back(number_cell(t, r, c));

    // What the target holds decides the task when none is given.
    std::vector<double> values(t.rows.size());
    bool all_numbers = true, all_integers = true;
    std::map<double, int> distinct_numbers;
    for (std::size_t r = 0; r < t.rows.size(); ++r) {
        if (!parse_finite(t.rows[r][tc], values[r])) {
            all_numbers = all_integers = false;
            continue;
        }
        all_integers = all_integers && is_integer(values[r]);
        if (distinct_numbers.size() <= 100000) distinct_numbers.emplace(values[r], 0);
    }
    const std::string quoted = "the target '" + detail::shown_cell(target) + "'";
    if (!task) {
        task = all_integers ? Task::classification : all_numbers ? Task::regression : Task::classification;
        d.task_reason = !all_numbers   ? quoted + " holds text"
                        : all_integers ? quoted + " holds integers only (" + std::to_string(distinct_numbers.size()) +
                                             " distinct values)"
                                       : quoted + " holds non-integer numbers";
    } else {
        d.task_reason = "asked for";
    }
    d.task = *task;

    if (d.task == Task::regression) {
        for (std::size_t r = 0; r < t.rows.size(); ++r) d.t.push_back(number_cell(t, r, tc));
        return d;
    }
    if (all_numbers && !all_integers)
        throw Error(where + ": classification needs text or integer labels, " + quoted +
                    " holds non-integer numbers (" + std::to_string(distinct_numbers.size()) +
                    " distinct values); use regression");
    // Labels in sorted order: numerically for numbers, byte by byte for text.
    std::map<std::string, int> distinct_text;
    for (std::size_t r = 0; r < t.rows.size(); ++r) {
        if (t.rows[r][tc].empty())
            throw Error(where + ": line " + std::to_string(t.lines[r]) + ", column " + std::to_string(tc + 1) + " ('" +
                        detail::shown_cell(target) + "'): empty cell, no class label");
        if (!all_numbers) distinct_text.emplace(t.rows[r][tc], 0);
    }
    const std::size_t k = all_numbers ? distinct_numbers.size() : distinct_text.size();
    if (k > static_cast<std::size_t>(max_classes))
        throw Error(where + ": " + quoted + " has " + std::to_string(k) + " distinct values, more than " +
                    std::to_string(max_classes) + " classes");
    int next = 0;
    if (all_numbers) {
        for (auto& [value, label] : distinct_numbers) label = next++, d.class_names.push_back(integer_text(value));
        for (double v : values) d.y.push_back(distinct_numbers[v]);
    } else {
        for (auto& [name, label] : distinct_text) label = next++, d.class_names.push_back(name);
        for (const auto& row : t.rows) d.y.push_back(distinct_text[row[tc]]);
    }
    d.classes = next;
    return d;
}

Dataset read_csv(std::istream& in, const std::string& target, const std::string& source, int max_classes) {
    return to_dataset(read_table(in, source), target, std::nullopt, max_classes);
}

Dataset read_csv_file(const std::string& path, const std::string& target, int max_classes) {
    return to_dataset(read_table_file(path), target, std::nullopt, max_classes);
}

}  // namespace tapegrad::data
