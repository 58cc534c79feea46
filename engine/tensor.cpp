// Tensor's core: storage, handles, factories, values, backward and grads, in-place updates.
// The ops themselves are in ops/tensor_*.cpp.
#include <algorithm>
#include <cmath>
#include <new>
#include <ostream>
#include <sstream>

#include "tapegrad/tensor_impl.hpp"

namespace tapegrad {

const char* dtype_name(DType dtype) { return dtype == DType::f32 ? "float32" : "float64"; }
std::size_t dtype_size(DType dtype) { return dtype == DType::f32 ? 4 : 8; }

// ---- Shape

Shape::Shape(std::initializer_list<std::int64_t> sizes) : Shape(std::span<const std::int64_t>(sizes.begin(), sizes.size())) {}

Shape::Shape(std::span<const std::int64_t> sizes) {
    if (sizes.size() > static_cast<std::size_t>(kMaxDims))
        throw Error("shape: at most " + std::to_string(kMaxDims) + " dims are supported, got " +
                    std::to_string(sizes.size()));
    for (std::int64_t s : sizes) sizes_[ndim_++] = s;
}

std::int64_t Shape::numel() const {
    std::int64_t n = 1;
    for (std::int64_t s : *this) n *= s;
    return n;
}

void Shape::push_back(std::int64_t n) {
    if (ndim_ == kMaxDims) throw Error("shape: at most " + std::to_string(kMaxDims) + " dims are supported");
    sizes_[ndim_++] = n;
}

std::string Shape::str() const {
    std::string s = "[";
    for (int d = 0; d < ndim_; ++d) {
        if (d > 0) s += ", ";
        s += std::to_string(sizes_[d]);
    }
    return s + "]";
}

bool operator==(const Shape& a, const Shape& b) { return std::equal(a.begin(), a.end(), b.begin(), b.end()); }

// ---- Generator

Generator::Generator(std::uint64_t seed) : engine_(seed) {}

void Generator::seed(std::uint64_t s) {
    engine_.seed(s);
    has_spare_ = false;
}

double Generator::uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

double Generator::normal() {
    if (has_spare_) {
        has_spare_ = false;
        return spare_;
    }
    double u1 = uniform();
    while (u1 <= 0.0) u1 = uniform();
    const double u2 = uniform();
    const double r = std::sqrt(-2.0 * std::log(u1)), a = 2.0 * 3.14159265358979323846 * u2;
    spare_ = r * std::sin(a);
    has_spare_ = true;
    return r * std::cos(a);
}

Generator& default_generator() {
    thread_local Generator gen;
    return gen;
}

void manual_seed(std::uint64_t seed) { default_generator().seed(seed); }

namespace detail {

// ---- storage and impls

Storage* Storage::make(std::size_t bytes) {
    constexpr std::size_t kHeader = 64;  // keeps the data 64-byte aligned relative to the block
    static_assert(sizeof(Storage) <= kHeader);
    void* block = ::operator new(kHeader + bytes);
    auto* s = new (block) Storage;
    s->bytes = bytes;
    s->data = static_cast<char*>(block) + kHeader;
    std::memset(s->data, 0, bytes);
    return s;
}

void Storage::release() noexcept {
    if (refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        this->~Storage();
        ::operator delete(static_cast<void*>(this));
    }
}

TensorImpl::~TensorImpl() {
    if (data_class != 0) tape->buffer_pools().give(data, data_class);
    if (grad_class != 0) tape->buffer_pools().give(grad, grad_class);
    if (storage != nullptr) storage->release();
    if (grad_storage != nullptr) grad_storage->release();
    if (grad_leaf != nullptr) grad_leaf->release();
}

bool TensorImpl::contiguous() const {
    std::int64_t expect = 1;
    for (int d = ndim - 1; d >= 0; --d) {
        if (sizes[d] != 1 && strides[d] != expect) return false;
        expect *= sizes[d];
    }
    return true;
}

void TensorImpl::set_contiguous_strides() { contiguous_strides(ndim, sizes, strides); }

void* TensorImpl::grad_buffer() {
    if (grad == nullptr) {
        if (leaf) {
            grad_storage = Storage::make(bytes());
            grad = grad_storage->data;
        } else {
            grad = tape->buffer_pools().take(bytes(), grad_class);
            std::memset(grad, 0, bytes());
        }
    }
    return grad;
}

// ---- errors and helpers shared by the ops

void tensor_error(const char* op, const std::string& what) { throw Error(std::string(op) + ": " + what); }

int wrap_dim(const char* op, int dim, int ndim) {
    const int lo = ndim == 0 ? -1 : -ndim, hi = ndim == 0 ? 0 : ndim - 1;
    if (dim < lo || dim > hi)
        tensor_error(op, "dim " + std::to_string(dim) + " is out of range for a tensor of " + std::to_string(ndim) +
                             " dims (expected " + std::to_string(lo) + " to " + std::to_string(hi) + ")");
    return dim < 0 ? dim + std::max(ndim, 1) : dim;
}

std::string shape_str(const TensorImpl* t) { return t->shape().str(); }

Tape& tape_of(std::initializer_list<const Tensor*> operands, const char* op) {
    Tape* tape = nullptr;
    for (const Tensor* t : operands) {
        if (t->tape() == nullptr) continue;
        if (tape != nullptr && t->tape() != tape) tensor_error(op, "operands were recorded on different tapes");
        tape = t->tape();
    }
    return tape != nullptr ? *tape : Tape::current();
}

namespace {
TensorImpl* new_on_tape(Tape& tape, DType dtype, const Shape& shape, bool requires_grad) {
    auto* t = tape.arena().make<TensorImpl>();
    t->ndim = static_cast<std::int8_t>(shape.size());
    std::copy(shape.begin(), shape.end(), t->sizes);
    t->numel = shape.numel();
    t->dtype = dtype;
    t->requires_grad = requires_grad;
    t->tape = &tape;
    return t;
}
}  // namespace

TensorImpl* new_result(Tape& tape, DType dtype, const Shape& shape, bool requires_grad) {
    for (std::int64_t s : shape)
        if (s < 0) tensor_error("tensor", "negative size in shape " + shape.str());
    TensorImpl* t = new_on_tape(tape, dtype, shape, requires_grad);
    t->set_contiguous_strides();
    t->data = tape.buffer_pools().take(t->bytes(), t->data_class);
    return t;
}

TensorImpl* new_view(Tape& tape, const TensorImpl* base, const Shape& shape, const std::int64_t* strides,
                     std::int64_t offset, bool requires_grad) {
    TensorImpl* t = new_on_tape(tape, base->dtype, shape, requires_grad);
    std::copy(strides, strides + shape.size(), t->strides);
    t->data = static_cast<char*>(base->data) + offset * static_cast<std::int64_t>(dtype_size(base->dtype));
    t->storage = base->storage;
    if (t->storage != nullptr) t->storage->retain();
    return t;
}

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
template <class S, class D>
void convert_rows(const TensorImpl* src, void* dst) {
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

// ---- handles

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

Tensor Tensor::wrap_result(TensorImpl* impl, Tape& tape) {
    Tensor t;
    t.impl_ = impl;
    t.tape_ = &tape;
    t.generation_ = tape.generation();
    return t;
}

Tensor Tensor::adopt_leaf(TensorImpl* impl) {
    Tensor t;
    t.impl_ = impl;
    return t;
}

void Tensor::throw_stale(const char* op) const {
    throw Error(std::string(op) + ": the tensor's tape was cleared (tensor recorded in generation " +
                std::to_string(generation_) + ", tape now at generation " + std::to_string(tape_->generation()) +
                "); op results live until Tape::clear(), keep what must outlive it with Tensor::from(t)");
}

void Tensor::throw_empty(const char* op) {
    throw Error(std::string(op) + ": empty Tensor (default-constructed, never assigned)");
}

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
        detail::tensor_error("set_requires_grad", "only leaves (tensors made by factories) can change it; this is an op result");
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

// ---- gradients

void Tensor::backward() const {
    TensorImpl* t = impl("backward");
    if (t->numel != 1)
        detail::tensor_error("backward", "only a one-element tensor can start backward, got shape " + detail::shape_str(t));
    if (!t->requires_grad)
        detail::tensor_error("backward", "the tensor does not require grad (no operand requires grad, or it was made "
                                         "under NoGrad)");
    if (t->leaf) {
        detail::dispatch(t->dtype, [&]<class T>() { *t->grad_ptr<T>() += T(1); });
        return;
    }
    // The root's grad is set, not accumulated: d root / d root = 1 even on a repeated backward.
    detail::dispatch(t->dtype, [&]<class T>() { *t->grad_ptr<T>() = T(1); });
    tape_->backward_from_entry(t->entry);
}

Tensor Tensor::grad() const {
    TensorImpl* t = impl("grad");
    if (!t->requires_grad)
        detail::tensor_error("grad", "the tensor does not require grad, shape " + detail::shape_str(t));
    t->grad_buffer();
    if (t->leaf) {
        if (t->grad_leaf == nullptr) {
            auto* g = new TensorImpl;
            std::copy(t->sizes, t->sizes + t->ndim, g->sizes);
            g->ndim = t->ndim;
            g->set_contiguous_strides();
            g->numel = t->numel;
            g->dtype = t->dtype;
            g->leaf = true;
            g->storage = t->grad_storage;
            g->storage->retain();
            g->data = t->grad;
            t->grad_leaf = g;
        }
        t->grad_leaf->retain();
        return adopt_leaf(t->grad_leaf);
    }
    auto* g = tape_->arena().make<TensorImpl>();
    std::copy(t->sizes, t->sizes + t->ndim, g->sizes);
    g->ndim = t->ndim;
    g->set_contiguous_strides();
    g->numel = t->numel;
    g->dtype = t->dtype;
    g->tape = tape_;
    g->data = t->grad;
    return wrap_result(g, *tape_);
}

void Tensor::zero_grad() {
    TensorImpl* t = impl("zero_grad");
    if (t->grad != nullptr) std::memset(t->grad, 0, t->bytes());
}

// ---- in place

namespace {
TensorImpl* in_place_target(const Tensor& self, const char* op) {
    TensorImpl* t = self.impl(op);
    if (!t->leaf)
        detail::tensor_error(op, "in-place ops apply to leaves (tensors made by factories); this is an op result");
    if (t->requires_grad && Tape::current().grad_enabled())
        detail::tensor_error(op, "a leaf that requires grad is being changed in place; do it under tapegrad::NoGrad");
    return t;
}
}  // namespace

Tensor& Tensor::add_(const Tensor& other, double alpha) {
    TensorImpl* t = in_place_target(*this, "add_");
    const TensorImpl* o = other.impl("add_");
    bool ok = o->ndim <= t->ndim;
    for (int d = 0; ok && d < o->ndim; ++d) {
        const std::int64_t s = o->sizes[o->ndim - 1 - d];
        ok = s == 1 || s == t->sizes[t->ndim - 1 - d];
    }
    if (!ok) detail::tensor_error("add_", "shape " + detail::shape_str(o) + " does not broadcast to " + detail::shape_str(t));
    // Read `other` in place when it already has t's type and a contiguous layout (an optimizer's
    // p.add_(p.grad(), -lr)) and is not a view overlapping t; otherwise read a converted copy.
    const bool overlaps = o->storage != nullptr && o->storage == t->storage && !(o->data == t->data && o->numel == t->numel);
    const bool direct = o->dtype == t->dtype && o->contiguous() && !overlaps;
    Tape& tape = Tape::current();
    detail::Scratch conv(tape, direct ? 0 : static_cast<std::size_t>(o->numel) * dtype_size(t->dtype));
    if (!direct) detail::copy_to_contiguous(o, conv.as<void>(), t->dtype);
    const void* source = direct ? o->data : conv.as<void>();
    // Read the source with broadcast strides (its layout is contiguous in o's shape).
    detail::TensorImpl view;
    std::copy(o->sizes, o->sizes + o->ndim, view.sizes);
    view.ndim = o->ndim;
    view.set_contiguous_strides();
    std::int64_t os[kMaxDims];
    detail::broadcast_strides(&view, t->ndim, os);
    detail::dispatch(t->dtype, [&]<class T>() {
        const T a = static_cast<T>(alpha);
        T* const base[2] = {t->ptr<T>(), static_cast<T*>(const_cast<void*>(source))};
        const std::int64_t* const st[2] = {t->strides, os};
        detail::for_each_row<T, 2>(t->ndim, t->sizes, base, st, [a](T* const* p, const std::int64_t* s, std::int64_t n) {
            if (s[0] == 1 && s[1] == 1) {  // the common case: same shape, both contiguous
                for (std::int64_t i = 0; i < n; ++i) p[0][i] += a * p[1][i];
                return;
            }
            for (std::int64_t i = 0; i < n; ++i) p[0][i * s[0]] += a * p[1][i * s[1]];
        });
    });
    return *this;
}

Tensor& Tensor::mul_(double factor) {
    TensorImpl* t = in_place_target(*this, "mul_");
    detail::dispatch(t->dtype, [&]<class T>() {
        T* p = t->ptr<T>();
        for (std::int64_t i = 0; i < t->numel; ++i) p[i] *= static_cast<T>(factor);
    });
    return *this;
}

Tensor& Tensor::fill_(double value) {
    TensorImpl* t = in_place_target(*this, "fill_");
    detail::dispatch(t->dtype, [&]<class T>() { std::fill(t->ptr<T>(), t->ptr<T>() + t->numel, static_cast<T>(value)); });
    return *this;
}

Tensor& Tensor::copy_(const Tensor& src) {
    TensorImpl* t = in_place_target(*this, "copy_");
    const TensorImpl* s = src.impl("copy_");
    if (s->numel != t->numel)
        detail::tensor_error("copy_", "source shape " + detail::shape_str(s) + " has a different number of elements than " +
                                          detail::shape_str(t));
    detail::copy_to_contiguous(s, t->data, t->dtype);
    return *this;
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

namespace tapegrad::detail {

void check_finite(const TensorImpl* t, bool grad, const char* pass, const Tape& tape, std::size_t entry) {
    if (grad && t->grad == nullptr) return;  // no gradient flowed here
    dispatch(t->dtype, [&]<class T>() {
        std::int64_t contiguous[kMaxDims];
        contiguous_strides(t->ndim, t->sizes, contiguous);
        T* const base[1] = {static_cast<T*>(grad ? t->grad : t->data)};
        const std::int64_t* const strides[1] = {grad ? contiguous : t->strides};
        for_each_row<T, 1>(t->ndim, t->sizes, base, strides, [&](T* const* p, const std::int64_t* s, std::int64_t n) {
            for (std::int64_t i = 0; i < n; ++i)
                if (!std::isfinite(p[0][i * s[0]])) [[unlikely]]
                    throw_anomaly(pass, tape.entry_name(entry), entry, static_cast<double>(p[0][i * s[0]]), "tensor op");
        });
    });
}

}  // namespace tapegrad::detail
