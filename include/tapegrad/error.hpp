// The one exception type tapegrad throws: every misuse and bad input ends here.
#pragma once

#include <stdexcept>
#include <string>

namespace tapegrad {

// Thrown for bad input and misuse. The message names the operation and the
// offending shapes or values, e.g. "matmul: inner dimensions differ: [2, 3] x [4, 5]".
class Error : public std::runtime_error {
public:
    explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace tapegrad
