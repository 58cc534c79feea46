// Tensor handles: copying and lifetime, what a tensor is, and reading its values.
#include <ostream>
#include <string>

#include "tapegrad/detail/tensor_impl.hpp"
#include "tapegrad/detail/tensor_loops.hpp"

namespace tapegrad {

using detail::TensorImpl;

// ---- handles: a leaf's handle holds a reference; an op result's lives with its tape

Tensor::Tensor(const Tensor& o) noexcept : impl_(o.impl_), tape_(o.tape_), generation_(o.generation_) {
    if (tape_ == nullptr && impl_ != nullptr) impl_->retain();
}
Tensor::Tensor(Tensor&& o) noexcept : impl_(o.impl_), tape_(o.tape_), generation_(o.generation_) {
    o.impl_ = nullptr;
    o.tape_ = nullptr;
}
Tensor& Tensor::operator=(const Tensor& o) noexcept {
    if (this != &o) {
        Tensor copy(o);
        *this = std::move(copy);
    }
    return *this;
}
Tensor& Tensor::operator=(Tensor&& o) noexcept {
    if (this != &o) {
        if (tape_ == nullptr && impl_ != nullptr) impl_->release();
        impl_ = o.impl_;
        tape_ = o.tape_;
        generation_ = o.generation_;
        o.impl_ = nullptr;
        o.tape_ = nullptr;
    }
    return *this;
}
Tensor::~Tensor() {
    if (tape_ == nullptr && impl_ != nullptr) impl_->release();
}

void Tensor::throw_stale(const char* op) const {
    throw Error(std::string(op) + ": the tensor's tape was cleared (tensor recorded in generation " +
                std::to_string(generation_) + ", tape now at generation " + std::to_string(tape_->generation()) +
                "); op results live until Tape::clear(), keep what must outlive it with Tensor::from(t)");
}

void Tensor::throw_empty(const char* op) {
    throw Error(std::string(op) + ": empty Tensor (default-constructed, never assigned)");
}

// ---- what it is

bool Tensor::valid() const { return impl_ != nullptr && (tape_ == nullptr || generation_ == tape_->generation()); }
DType Tensor::dtype() const { return impl("dtype")->dtype; }
int Tensor::dim() const { return impl("dim")->ndim; }
std::vector<std::int64_t> Tensor::shape() const {
    const TensorImpl* t = impl("shape");
    return {t->sizes, t->sizes + t->ndim};
}
std::span<const std::int64_t> Tensor::sizes() const {
    const TensorImpl* t = impl("sizes");
    return {t->sizes, static_cast<std::size_t>(t->ndim)};
}
std::span<const std::int64_t> Tensor::strides() const {
    const TensorImpl* t = impl("strides");
    return {t->strides, static_cast<std::size_t>(t->ndim)};
}
std::int64_t Tensor::size(int d) const {
    const TensorImpl* t = impl("size");
    if (t->ndim == 0) detail::tensor_error("size", "a 0-d tensor has no dims");
    return t->sizes[detail::wrap_dim("size", d, t->ndim)];
}
std::int64_t Tensor::numel() const { return impl("numel")->numel; }
bool Tensor::is_contiguous() const { return impl("is_contiguous")->contiguous(); }
bool Tensor::requires_grad() const { return impl("requires_grad")->requires_grad; }
bool Tensor::is_leaf() const { return impl("is_leaf")->leaf; }

Tensor& Tensor::set_requires_grad(bool requires_grad) {
    TensorImpl* t = impl("set_requires_grad");
    if (!t->leaf)
        detail::tensor_error("set_requires_grad",
                             "only leaves (tensors made by factories) can change it; this is an op result");
    t->requires_grad = requires_grad;
    return *this;
}

// ---- values

std::vector<double> Tensor::to_vector() const {
    const TensorImpl* t = impl("to_vector");
    std::vector<double> out(static_cast<std::size_t>(t->numel));
    detail::copy_to_contiguous(t, out.data(), DType::f64);
    return out;
}

double Tensor::item() const {
    const TensorImpl* t = impl("item");
    if (t->numel != 1)
        detail::tensor_error("item", "only a one-element tensor has an item, got shape " + detail::shape_str(t));
    return t->dtype == DType::f32 ? static_cast<double>(*t->ptr<float>()) : *t->ptr<double>();
}

double Tensor::at(std::initializer_list<std::int64_t> index) const {
    const TensorImpl* t = impl("at");
    if (static_cast<int>(index.size()) != t->ndim)
        detail::tensor_error("at", std::to_string(index.size()) + " indices for shape " + detail::shape_str(t));
    std::int64_t off = 0;
    int d = 0;
    for (std::int64_t i : index) {
        if (i < 0 || i >= t->sizes[d])
            detail::tensor_error("at", "index " + std::to_string(i) + " is out of range for dim " + std::to_string(d) +
                                           " of shape " + detail::shape_str(t));
        off += i * t->strides[d++];
    }
    return t->dtype == DType::f32 ? static_cast<double>(t->ptr<float>()[off]) : t->ptr<double>()[off];
}

std::ostream& operator<<(std::ostream& os, const Tensor& t) {
    if (!t.valid()) return os << "Tensor(invalid)";
    const std::vector<double> v = t.to_vector();
    os << "Tensor(shape=" << Shape(t.sizes()).str() << ", dtype=" << dtype_name(t.dtype()) << ", values=[";
    for (std::size_t i = 0; i < v.size() && i < 20; ++i) os << (i > 0 ? ", " : "") << v[i];
    if (v.size() > 20) os << ", ...";
    os << "]";
    if (t.requires_grad()) os << ", requires_grad";
    return os << ")";
}

}  // namespace tapegrad
