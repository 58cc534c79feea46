// The factories: leaves that own their storage and survive Tape::clear().
#include <cmath>
#include <string>

#include "tapegrad/detail/tensor_impl.hpp"
#include "tapegrad/detail/tensor_loops.hpp"

namespace tapegrad {

using detail::TensorAccess;
using detail::TensorImpl;

namespace {
Tensor new_leaf(const Shape& shape, DType dtype, bool requires_grad) {
    return TensorAccess::adopt_leaf(new TensorImpl(dtype, shape, requires_grad));  // storage starts zeroed
}

template <class F> Tensor make_leaf(const Shape& shape, DType dtype, bool requires_grad, F&& value_at) {
    Tensor out = new_leaf(shape, dtype, requires_grad);
    TensorImpl* t = detail::impl_of(out, "tensor");
    detail::dispatch(dtype, [&]<class T>() {
        T* p = t->ptr<T>();
        for (std::int64_t i = 0; i < t->numel; ++i) p[i] = static_cast<T>(value_at(i));
    });
    return out;
}

void check_count(std::size_t count, const Shape& shape) {
    if (static_cast<std::int64_t>(count) != shape.numel())
        detail::tensor_error("from", std::to_string(count) + " values do not fill shape " + shape.str() + " (" +
                                         std::to_string(shape.numel()) + " elements)");
}
}  // namespace

Tensor Tensor::from(const std::vector<double>& values, const Shape& shape, DType dtype, bool requires_grad) {
    check_count(values.size(), shape);
    return make_leaf(shape, dtype, requires_grad, [&](std::int64_t i) { return values[static_cast<std::size_t>(i)]; });
}

Tensor Tensor::from(std::span<const float> values, const Shape& shape, DType dtype, bool requires_grad) {
    check_count(values.size(), shape);
    return make_leaf(shape, dtype, requires_grad, [&](std::int64_t i) { return values[static_cast<std::size_t>(i)]; });
}

Tensor Tensor::from(const Tensor& src, bool requires_grad) {
    const TensorImpl* s = src.impl("from");
    Tensor out = new_leaf(s->shape(), s->dtype, requires_grad);
    detail::copy_to_contiguous(s, out.impl_->data, s->dtype);
    return out;
}

Tensor Tensor::zeros(const Shape& shape, DType dtype, bool requires_grad) {
    return new_leaf(shape, dtype, requires_grad);
}
Tensor Tensor::ones(const Shape& shape, DType dtype, bool requires_grad) {
    return full(shape, 1.0, dtype, requires_grad);
}
Tensor Tensor::full(const Shape& shape, double value, DType dtype, bool requires_grad) {
    return make_leaf(shape, dtype, requires_grad, [&](std::int64_t) { return value; });
}
Tensor Tensor::randn(const Shape& shape, DType dtype, bool requires_grad) {
    return randn(shape, default_generator(), dtype, requires_grad);
}
Tensor Tensor::randn(const Shape& shape, Generator& gen, DType dtype, bool requires_grad) {
    return make_leaf(shape, dtype, requires_grad, [&](std::int64_t) { return gen.normal(); });
}
Tensor Tensor::rand(const Shape& shape, DType dtype, bool requires_grad) {
    return rand(shape, default_generator(), dtype, requires_grad);
}
Tensor Tensor::rand(const Shape& shape, Generator& gen, DType dtype, bool requires_grad) {
    return make_leaf(shape, dtype, requires_grad, [&](std::int64_t) { return gen.uniform(); });
}
Tensor Tensor::arange(double start, double end, double step, DType dtype, bool requires_grad) {
    if (step == 0.0 || !std::isfinite(start) || !std::isfinite(end) || !std::isfinite(step))
        detail::tensor_error("arange", "needs finite bounds and a non-zero step, got start " + std::to_string(start) +
                                           ", end " + std::to_string(end) + ", step " + std::to_string(step));
    const double count = std::ceil((end - start) / step);
    const std::int64_t n = count > 0 ? static_cast<std::int64_t>(count) : 0;
    return make_leaf({n}, dtype, requires_grad, [&](std::int64_t i) { return start + static_cast<double>(i) * step; });
}

}  // namespace tapegrad
