// Counts heap allocations made through operator new in the test binary.
#pragma once

#include <cstddef>

namespace tapegrad::test {
std::size_t allocation_count();
}
