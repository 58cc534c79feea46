// The factories: leaves that own their storage and survive Tape::clear().
#include <cmath>
#include <string>

#include "tapegrad/tensor_impl.hpp"

namespace tapegrad {

namespace detail {
namespace {
TensorImpl* new_leaf(const Shape& shape, DType dtype, bool requires_grad) {
    for (std::int64_t s : shape)
        if (s < 0) tensor_error("tensor", "negative size in shape " + shape.str());
    auto* t = new TensorImpl;
    t->ndim = static_cast<std::int8_t>(shape.size());
    std::copy(shape.begin(), shape.end(), t->sizes);
    t->set_contiguous_strides();
    t->numel = shape.numel();
    t->dtype = dtype;
    t->requires_grad = requires_grad;
    t->leaf = true;
    t->storage = Storage::make(t->bytes());
    t->data = t->storage->data;
    return t;
}

template <class F>
Tensor make_leaf(const Shape& shape, DType dtype, bool requires_grad, F&& value_at) {
    Tensor out = Tensor::adopt_leaf(new_leaf(shape, dtype, requires_grad));
    TensorImpl* t = out.impl("tensor");
    dispatch(dtype, [&]<class T>() {
        T* p = t->ptr<T>();
        for (std::int64_t i = 0; i < t->numel; ++i) p[i] = static_cast<T>(value_at(i));
    });
    return out;
}
}  // namespace

}  // namespace detail

using detail::TensorImpl;

// ---- factories

Tensor Tensor::from(const std::vector<double>& values, const Shape& shape, DType dtype, bool requires_grad) {
    if (static_cast<std::int64_t>(values.size()) != shape.numel())
        detail::tensor_error("from", std::to_string(values.size()) + " values do not fill shape " + shape.str() +
                                         " (" + std::to_string(shape.numel()) + " elements)");
    return detail::make_leaf(shape, dtype, requires_grad, [&](std::int64_t i) { return values[static_cast<std::size_t>(i)]; });
}

Tensor Tensor::from(std::span<const float> values, const Shape& shape, DType dtype, bool requires_grad) {
    if (static_cast<std::int64_t>(values.size()) != shape.numel())
        detail::tensor_error("from", std::to_string(values.size()) + " values do not fill shape " + shape.str() +
                                         " (" + std::to_string(shape.numel()) + " elements)");
    return detail::make_leaf(shape, dtype, requires_grad, [&](std::int64_t i) { return values[static_cast<std::size_t>(i)]; });
}

Tensor Tensor::from(const Tensor& src, bool requires_grad) {
    const TensorImpl* s = src.impl("from");
    Tensor out = adopt_leaf(detail::new_leaf(s->shape(), s->dtype, requires_grad));
    detail::copy_to_contiguous(s, out.impl_->data, s->dtype);
    return out;
}

Tensor Tensor::zeros(const Shape& shape, DType dtype, bool requires_grad) {
    return adopt_leaf(detail::new_leaf(shape, dtype, requires_grad));  // storage starts zeroed
}
Tensor Tensor::ones(const Shape& shape, DType dtype, bool requires_grad) { return full(shape, 1.0, dtype, requires_grad); }
Tensor Tensor::full(const Shape& shape, double value, DType dtype, bool requires_grad) {
    return detail::make_leaf(shape, dtype, requires_grad, [&](std::int64_t) { return value; });
}
Tensor Tensor::randn(const Shape& shape, DType dtype, bool requires_grad) {
    return randn(shape, default_generator(), dtype, requires_grad);
}
Tensor Tensor::randn(const Shape& shape, Generator& gen, DType dtype, bool requires_grad) {
    return detail::make_leaf(shape, dtype, requires_grad, [&](std::int64_t) { return gen.normal(); });
}
Tensor Tensor::rand(const Shape& shape, DType dtype, bool requires_grad) {
    return rand(shape, default_generator(), dtype, requires_grad);
}
Tensor Tensor::rand(const Shape& shape, Generator& gen, DType dtype, bool requires_grad) {
    return detail::make_leaf(shape, dtype, requires_grad, [&](std::int64_t) { return gen.uniform(); });
}
Tensor Tensor::arange(double start, double end, double step, DType dtype, bool requires_grad) {
    if (step == 0.0 || !std::isfinite(start) || !std::isfinite(end) || !std::isfinite(step))
        detail::tensor_error("arange", "needs finite bounds and a non-zero step, got start " + std::to_string(start) +
                                           ", end " + std::to_string(end) + ", step " + std::to_string(step));
    const double count = std::ceil((end - start) / step);
    const std::int64_t n = count > 0 ? static_cast<std::int64_t>(count) : 0;
    return detail::make_leaf({n}, dtype, requires_grad, [&](std::int64_t i) { return start + static_cast<double>(i) * step; });
}

}  // namespace tapegrad
