// Counts heap allocations made through operator new in a benchmark binary (alloc_counter.cpp
// replaces the global operator new/delete).
#pragma once

#include <cstddef>

namespace tapegrad::bench {
std::size_t allocation_count();
}
