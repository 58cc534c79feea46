// The loops tensor kernels are written with: rows of a strided layout, copies between layouts,
// and the split of large elementwise kernels across threads. Internal.
#pragma once

#include <cstdint>

#include "tapegrad/detail/tensor_impl.hpp"

namespace tapegrad::detail {

// Calls inner(ptrs, inner_strides, n) over every row of `shape` (strides per operand, elements;
// operands' pointers already at element 0). Adjacent dims that are laid out as one are merged,
// so a contiguous or broadcast-by-row operand gets long inner loops.
template <class T, int K, class Inner>
void for_each_row(int ndim, const std::int64_t* shape, T* const (&base)[K], const std::int64_t* const (&strides)[K],
                  Inner&& inner) {
    std::int64_t sz[kMaxDims];
    std::int64_t st[K][kMaxDims];
    int nd = 0;
    for (int d = 0; d < ndim; ++d) {
        if (shape[d] == 1) continue;
        if (shape[d] == 0) return;
        bool merge = nd > 0;
        for (int k = 0; k < K && merge; ++k) merge = st[k][nd - 1] == strides[k][d] * shape[d];
        if (merge) {
            sz[nd - 1] *= shape[d];
            for (int k = 0; k < K; ++k) st[k][nd - 1] = strides[k][d];
        } else {
            sz[nd] = shape[d];
            for (int k = 0; k < K; ++k) st[k][nd] = strides[k][d];
            ++nd;
        }
    }
    T* p[K];
    std::int64_t is[K];
    for (int k = 0; k < K; ++k) p[k] = base[k];
    if (nd == 0) {
        for (int k = 0; k < K; ++k) is[k] = 0;
        inner(p, is, std::int64_t{1});
        return;
    }
    const std::int64_t n = sz[nd - 1];
    for (int k = 0; k < K; ++k) is[k] = st[k][nd - 1];
    std::int64_t idx[kMaxDims] = {};
    for (;;) {
        inner(p, is, n);
        int d = nd - 2;
        for (; d >= 0; --d) {
            ++idx[d];
            for (int k = 0; k < K; ++k) p[k] += st[k][d];
            if (idx[d] < sz[d]) break;
            for (int k = 0; k < K; ++k) p[k] -= st[k][d] * sz[d];
            idx[d] = 0;
        }
        if (d < 0) return;
    }
}

// Contiguous strides of a shape.
void contiguous_strides(int ndim, const std::int64_t* shape, std::int64_t* strides);
// The strides that read a tensor of shape `from` as if broadcast to `to` (0 on stretched dims).
void broadcast_strides(const TensorImpl* from, int to_ndim, std::int64_t* strides);

// dst (shape of dst, contiguous) = src read with src's strides, converting types.
void copy_to_contiguous(const TensorImpl* src, void* dst, DType dst_dtype);

// Adds src (contiguous, `shape`) into dst at dst_offset with dst_strides (elements), both of type T.
template <class T>
void add_strided(int ndim, const std::int64_t* shape, const T* src, T* dst, std::int64_t dst_offset,
                 const std::int64_t* dst_strides) {
    std::int64_t src_strides[kMaxDims];
    contiguous_strides(ndim, shape, src_strides);
    T* const base[2] = {const_cast<T*>(src), dst + dst_offset};
    const std::int64_t* const st[2] = {src_strides, dst_strides};
    for_each_row<T, 2>(ndim, shape, base, st, [](T* const* p, const std::int64_t* s, std::int64_t n) {
        const T* a = p[0];
        T* b = p[1];
        if (s[0] == 1 && s[1] == 1) {
            for (std::int64_t i = 0; i < n; ++i) b[i] += a[i];
        } else {
            for (std::int64_t i = 0; i < n; ++i) b[i * s[1]] += a[i * s[0]];
        }
    });
}

// The other way round: adds src, read with src_strides, into dst (contiguous, `shape`).
template <class T>
void add_to_contiguous(int ndim, const std::int64_t* shape, const T* src, const std::int64_t* src_strides, T* dst) {
    std::int64_t dst_strides[kMaxDims];
    contiguous_strides(ndim, shape, dst_strides);
    T* const base[2] = {const_cast<T*>(src), dst};
    const std::int64_t* const st[2] = {src_strides, dst_strides};
    for_each_row<T, 2>(ndim, shape, base, st, [](T* const* p, const std::int64_t* s, std::int64_t n) {
        for (std::int64_t i = 0; i < n; ++i) p[1][i * s[1]] += p[0][i * s[0]];
    });
}

// Calls f(begin, end) over [0, n) split across the library's threads when n is at least `grain`
// per thread; the split only decides who computes which elements, never how.
void parallel_for_impl(std::int64_t n, std::int64_t grain, void (*fn)(void*, std::int64_t, std::int64_t), void* ctx);
template <class F> void parallel_for(std::int64_t n, std::int64_t grain, F&& f) {
    if (grain > 0 && n < 2 * grain) {  // too small to split: f inline, no look at the workers
        f(std::int64_t{0}, n);
        return;
    }
    parallel_for_impl(
        n, grain, [](void* c, std::int64_t b, std::int64_t e) { (*static_cast<F*>(c))(b, e); }, &f);
}
// Elements per thread below which an elementwise kernel stays on one thread.
inline constexpr std::int64_t kParallelGrain = 1 << 15;

}  // namespace tapegrad::detail
