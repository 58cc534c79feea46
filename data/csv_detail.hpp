// Helpers the CSV sources share.
#pragma once

#include <string>
#include <string_view>

namespace tapegrad::data::detail {

// A shortened, printable copy of a cell for messages (control characters as '?').
std::string shown_cell(std::string_view s);

}  // namespace tapegrad::data::detail
