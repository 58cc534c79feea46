// The tensor side of grad(): how a tensor op's entry is differentiated with tensor ops, so that
// grad(..., {.create_graph = true}) records the derivatives on the tape and they can be
// differentiated again. Internal; docs/EXTENDING.md, "Differentiating twice", shows a rule.
//
// An op's saved data (detail/op_data.hpp) gives its rule as a member
//
//   void grads(const Tensor& gy, std::span<Tensor> gx, std::span<const char> want) const;
//
// gy is the result's grad (same shape and type); gx[k] is set, for each input k with want[k], to
// d<gy, result>/d in[k] written with public tensor ops (so that its own backward exists too),
// in in[k]'s shape and type. An op without the member has no such rule: grad() raises Error
// naming it when the walk reaches it.
#pragma once

#include <cstddef>
#include <span>

#include "tapegrad/detail/tensor_impl.hpp"

namespace tapegrad::detail {

struct EntryGraph {
    TensorImpl* (*output)(void* data);
    std::span<TensorImpl* const> (*inputs)(void* data);
    void (*grads)(void* data, const Tensor& gy, std::span<Tensor> gx, std::span<const char> want);  // may be null
};

template <class Data>
concept HasGradRule = requires(const Data& d, const Tensor& gy, std::span<Tensor> gx, std::span<const char> want) {
    d.grads(gy, gx, want);
};

template <class Data>
inline constexpr EntryGraph kEntryGraph{
    [](void* p) { return static_cast<Data*>(p)->out; },
    [](void* p) { return std::span<TensorImpl* const>(static_cast<Data*>(p)->inputs()); },
    HasGradRule<Data> ? +[](void* p, const Tensor& gy, std::span<Tensor> gx,
                            std::span<const char> want) {
        if constexpr (HasGradRule<Data>) static_cast<const Data*>(p)->grads(gy, gx, want);
    }
                      : nullptr};

// A handle to a tensor an entry saved (a leaf gets a new reference).
inline Tensor handle_of(TensorImpl* t) {
    if (t->leaf) {
        t->retain();
        return TensorAccess::adopt_leaf(t);
    }
    return TensorAccess::wrap_result(t, *t->tape);
}

// g (of a broadcast shape) summed back to `shape` over the dims it was stretched along; recorded,
// so differentiable (its backward expands again).
Tensor sum_to_shape(Tensor g, const Shape& shape);

// The elementwise product g * p for a rule's partial p, a number or a tensor; p = 1 is g itself.
inline Tensor times(const Tensor& g, double p) { return p == 1.0 ? g : g * p; }
inline Tensor times(const Tensor& g, const Tensor& p) { return g * p; }

}  // namespace tapegrad::detail
