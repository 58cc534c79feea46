// A tensor op of your own, as torch.autograd.Function: its forward and its backward written with
// ordinary tensor ops, recorded on the tape as one entry (docs/EXTENDING.md).
//
//   struct Swish {                                          // y = x sigmoid(x)
//       static constexpr const char* name = "swish";        // for errors and anomaly mode
//       static Tensor forward(TensorOpContext& ctx, const Tensor& x) {
//           ctx.save(x);
//           return x * x.sigmoid();
//       }
//       static Tensor backward(TensorOpContext& ctx, const Tensor& grad) {
//           const Tensor& x = ctx.saved(0);
//           const Tensor s = x.sigmoid();
//           return grad * s * (1.0 + x * (1.0 - s));        // dy/dx = s (1 + x (1 - s))
//       }
//   };
//   Tensor y = tapegrad::apply<Swish>(x);
//
// forward(ctx, inputs...) runs with nothing recorded (under NoGrad, on inputs detached from the
// graph) and returns the output. When the output requires grad (grad mode is on and an input
// requires grad), apply records one entry; the reverse sweep then calls backward(ctx, grad),
// again with nothing recorded, with grad = d loss / d output. backward returns one gradient per
// input, a Tensor for one input and a std::array<Tensor, N> for N, each of its input's shape and
// dtype (an undefined Tensor for an input that gets none): broadcasting is the op's to undo. A
// gradient of another shape or dtype is an Error naming the op and both shapes.
#pragma once

#include <array>
#include <cstddef>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

#include "tapegrad/tensor.hpp"

namespace tapegrad {

class TensorOpContext;

namespace detail {
// What apply<F> hands the library: F's name and its forward and backward behind plain pointers.
struct CustomOpCalls {
    const char* name;
    Tensor (*forward)(TensorOpContext& ctx, std::span<const Tensor> inputs);
    void (*backward)(TensorOpContext& ctx, const Tensor& grad_output, std::span<Tensor> grads);
};
// The part of apply<F> that does not depend on F (ops/tensor_custom.cpp).
Tensor apply_custom(const CustomOpCalls& calls, std::span<const Tensor> inputs);
}  // namespace detail

// What a custom op's forward leaves for its backward.
class TensorOpContext {
public:
    // Keeps tensors for backward (inputs, the output, intermediates); saved(0) is the first.
    template <class... Ts>
        requires(std::is_same_v<Ts, Tensor>&&...)
    void save(const Ts&... tensors) { (keep(tensors), ...); }
    // The i-th tensor saved; raises Error naming the op if fewer were saved.
    const Tensor& saved(std::size_t i) const;
    std::size_t saved_count() const { return count_; }

private:
    friend Tensor detail::apply_custom(const detail::CustomOpCalls& calls, std::span<const Tensor> inputs);
    explicit TensorOpContext(const char* op) : op_(op) {}

    // The first few saved tensors in place, the rest on the heap: most ops save at most four, and
    // a warm step should not allocate.
    void keep(const Tensor& t) {
        if (count_ < first_.size()) first_[count_] = t;
        else rest_.push_back(t);
        ++count_;
    }

    const char* op_;
    std::array<Tensor, 4> first_;
    std::vector<Tensor> rest_;
    std::size_t count_ = 0;
};

namespace detail {
template <class F, std::size_t N> Tensor custom_forward(TensorOpContext& ctx, std::span<const Tensor> inputs) {
    return [&]<std::size_t... K>(std::index_sequence<K...>)->Tensor { return F::forward(ctx, inputs[K]...); }
    (std::make_index_sequence<N>{});
}

template <class F, std::size_t N>
void custom_backward(TensorOpContext& ctx, const Tensor& grad_output, std::span<Tensor> grads) {
    auto returned = F::backward(ctx, grad_output);
    if constexpr (std::is_convertible_v<decltype(returned), Tensor>) {
        static_assert(N == 1, "F::backward of an op with N inputs returns a std::array<Tensor, N>");
        grads[0] = std::move(returned);
    } else {
        static_assert(std::is_same_v<decltype(returned), std::array<Tensor, N>>,
                      "F::backward returns one gradient per input: a std::array<Tensor, N> (a Tensor for one input)");
        for (std::size_t k = 0; k < N; ++k) grads[k] = std::move(returned[k]);
    }
}
}  // namespace detail

// Runs F's forward on the inputs and records one tape entry whose backward is F's (see above).
template <class F, class... Ts>
    requires(sizeof...(Ts) > 0 && (std::is_same_v<Ts, Tensor> && ...))
Tensor apply(const Ts&... inputs) {
    static_assert(std::is_convertible_v<decltype(F::name), const char*>,
                  "a custom op names itself: static constexpr const char* name = \"...\";");
    constexpr std::size_t n = sizeof...(Ts);
    static constexpr detail::CustomOpCalls calls{F::name, &detail::custom_forward<F, n>,
                                                 &detail::custom_backward<F, n>};
    const std::array<Tensor, n> list{inputs...};
    return detail::apply_custom(calls, list);
}

}  // namespace tapegrad
