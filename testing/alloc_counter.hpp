// Counts heap allocations made through the global operator new, in a test or benchmark binary
// that links tapegrad_testing and calls allocation_count() (alloc_counter.cpp replaces the global
// operator new and delete).
#pragma once

#include <cstddef>

namespace tapegrad::testing {
std::size_t allocation_count();
}
