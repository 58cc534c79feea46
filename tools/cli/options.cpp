// Option value parsing shared by the subcommands.
#include "options.hpp"

#include <charconv>
#include <cmath>

#include "commands.hpp"

namespace tapegrad::cli {

const std::string& option_value(const std::vector<std::string>& args, std::size_t& i) {
    if (i + 1 >= args.size()) throw UsageError(args[i] + " needs a value");
    return args[++i];
}

std::uint64_t parse_count(const std::string& option, const std::string& text, std::uint64_t lo, std::uint64_t hi) {
    std::uint64_t v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size())
        throw UsageError(option + ": '" + text + "' is not a whole number");
    if (v < lo || v > hi)
        throw UsageError(option + ": " + text + " is out of range (" + std::to_string(lo) + " to " +
                         std::to_string(hi) + ")");
    return v;
}

double parse_number(const std::string& option, const std::string& text, double lo, double hi) {
    double v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || !std::isfinite(v))
        throw UsageError(option + ": '" + text + "' is not a number");
    if (v < lo || v > hi) throw UsageError(option + ": " + text + " is out of range");
    return v;
}

std::vector<std::size_t> parse_sizes(const std::string& option, const std::string& text) {
    std::vector<std::size_t> sizes;
    std::size_t start = 0;
    for (;;) {
        const std::size_t comma = text.find(',', start);
        const std::string part = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        sizes.push_back(static_cast<std::size_t>(parse_count(option, part, 1, 100000)));
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    if (sizes.size() < 2)
        throw UsageError(option + ": '" + text + "' needs at least an input and an output size, e.g. 2,16,1");
    return sizes;
}

}  // namespace tapegrad::cli
