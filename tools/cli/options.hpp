// Parsing option values for the subcommands; every mistake is a UsageError naming the option.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tapegrad::cli {

// args[i + 1], advancing i; UsageError if there is none.
const std::string& option_value(const std::vector<std::string>& args, std::size_t& i);
// A whole number in [lo, hi].
std::uint64_t parse_count(const std::string& option, const std::string& text, std::uint64_t lo, std::uint64_t hi);
// A finite number in [lo, hi].
double parse_number(const std::string& option, const std::string& text, double lo, double hi);
// "2,16,16,1": at least two positive sizes.
std::vector<std::size_t> parse_sizes(const std::string& option, const std::string& text);

}  // namespace tapegrad::cli
