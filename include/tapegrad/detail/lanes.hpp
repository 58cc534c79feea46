// A tensor read along one dim as [outer, n, inner]: outer * inner lanes of n elements each, the
// elements of a lane `inner` apart. Reductions and softmax work lane by lane. Internal.
#pragma once

#include <cstdint>

#include "tapegrad/detail/tensor_impl.hpp"

namespace tapegrad::detail {

struct Lanes {
    std::int64_t outer = 1, n = 1, inner = 1;
};

// The lanes of contiguous t along dim d.
inline Lanes lanes_along(const TensorImpl* t, int d) {
    Lanes l;
    for (int j = 0; j < t->ndim; ++j) {
        if (j < d) l.outer *= t->sizes[j];
        else if (j == d) l.n = t->sizes[j];
        else l.inner *= t->sizes[j];
    }
    return l;
}

}  // namespace tapegrad::detail
