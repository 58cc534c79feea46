// The out-of-line loops of detail/tensor_loops.hpp: strides and copies between layouts.
#include "tapegrad/detail/tensor_loops.hpp"

namespace tapegrad::detail {

void contiguous_strides(int ndim, const std::int64_t* shape, std::int64_t* strides) {
    std::int64_t s = 1;
    for (int d = ndim - 1; d >= 0; --d) {
        strides[d] = s;
        s *= shape[d];
    }
}

void broadcast_strides(const TensorImpl* from, int to_ndim, std::int64_t* strides) {
    const int lead = to_ndim - from->ndim;
    for (int d = 0; d < to_ndim; ++d) {
        const int k = d - lead;
        strides[d] = (k < 0 || from->sizes[k] == 1) ? 0 : from->strides[k];
    }
}

namespace {
template <class S, class D> void convert_rows(const TensorImpl* src, void* dst) {
    std::int64_t dst_strides[kMaxDims], src_b[kMaxDims], dst_b[kMaxDims];
    contiguous_strides(src->ndim, src->sizes, dst_strides);
    for (int d = 0; d < src->ndim; ++d) {
        src_b[d] = src->strides[d] * static_cast<std::int64_t>(sizeof(S));
        dst_b[d] = dst_strides[d] * static_cast<std::int64_t>(sizeof(D));
    }
    char* const base[2] = {static_cast<char*>(src->data), static_cast<char*>(dst)};
    const std::int64_t* const st[2] = {src_b, dst_b};
    for_each_row<char, 2>(src->ndim, src->sizes, base, st, [](char* const* p, const std::int64_t* s, std::int64_t n) {
        const char* a = p[0];
        char* b = p[1];
        if (s[0] == static_cast<std::int64_t>(sizeof(S)) && s[1] == static_cast<std::int64_t>(sizeof(D))) {
            const S* x = reinterpret_cast<const S*>(a);
            D* y = reinterpret_cast<D*>(b);
            for (std::int64_t i = 0; i < n; ++i) y[i] = static_cast<D>(x[i]);
        } else {
            for (std::int64_t i = 0; i < n; ++i)
                *reinterpret_cast<D*>(b + i * s[1]) = static_cast<D>(*reinterpret_cast<const S*>(a + i * s[0]));
        }
    });
}
}  // namespace

void copy_to_contiguous(const TensorImpl* src, void* dst, DType dst_dtype) {
    if (src->numel == 0) return;
    if (src->dtype == DType::f32) {
        if (dst_dtype == DType::f32) convert_rows<float, float>(src, dst);
        else convert_rows<float, double>(src, dst);
    } else {
        if (dst_dtype == DType::f32) convert_rows<double, float>(src, dst);
        else convert_rows<double, double>(src, dst);
    }
}

}  // namespace tapegrad::detail
