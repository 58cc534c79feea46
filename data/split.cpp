// Holding out a test set: a seeded random fraction of the rows, class by class for
// classification so that both parts keep the class proportions.
#include <algorithm>
#include <cmath>

#include "tapegrad/data.hpp"
#include "tapegrad/error.hpp"
#include "tapegrad/nn/init.hpp"

namespace tapegrad::data {

Dataset subset(const Dataset& d, const std::vector<std::size_t>& rows) {
    Dataset out = d;
    out.x.clear();
    out.y.clear();
    out.t.clear();
    for (std::size_t i : rows) {
        if (i >= d.size()) throw Error("subset: row " + std::to_string(i) + " of " + std::to_string(d.size()));
        out.x.insert(out.x.end(), d.row(i), d.row(i) + d.features);
        if (d.task == Task::regression) out.t.push_back(d.t[i]);
        else out.y.push_back(d.y[i]);
    }
    return out;
}

Split split_rows(const Dataset& d, double test_fraction, std::uint64_t seed) {
    if (!(test_fraction > 0.0 && test_fraction < 1.0))
        throw Error("train_test_split: the test fraction must be between 0 and 1, got " +
                    std::to_string(test_fraction));
    const std::size_t n = d.size();
    // Groups of rows split alike: one per class, or all rows for regression.
    std::vector<std::vector<std::size_t>> groups(
        d.task == Task::regression ? 1 : static_cast<std::size_t>(std::max(d.classes, 1)));
    for (std::size_t i = 0; i < n; ++i)
        groups[d.task == Task::regression ? 0 : static_cast<std::size_t>(d.y[i])].push_back(i);
    nn::Generator gen(seed ^ 0x5deece66dULL);
    std::vector<std::size_t> train, test;
    for (std::vector<std::size_t>& g : groups) {
        for (std::size_t i = g.size(); i > 1; --i) std::swap(g[i - 1], g[nn::below(gen, i)]);
        const auto held = static_cast<std::size_t>(std::llround(test_fraction * static_cast<double>(g.size())));
        test.insert(test.end(), g.begin(), g.begin() + static_cast<std::ptrdiff_t>(held));
        train.insert(train.end(), g.begin() + static_cast<std::ptrdiff_t>(held), g.end());
    }
    if (train.empty() || test.empty())
        throw Error("train_test_split: a test fraction of " + std::to_string(test_fraction) + " of " +
                    std::to_string(n) + " rows leaves " + std::to_string(train.size()) + " for training and " +
                    std::to_string(test.size()) + " for testing; both need at least one");
    std::sort(train.begin(), train.end());
    std::sort(test.begin(), test.end());
    return {train, test};
}

std::pair<Dataset, Dataset> train_test_split(const Dataset& d, double test_fraction, std::uint64_t seed) {
    const Split s = split_rows(d, test_fraction, seed);
    return {subset(d, s.train), subset(d, s.test)};
}

}  // namespace tapegrad::data
