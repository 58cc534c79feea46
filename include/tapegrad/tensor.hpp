// Tensor: an N-dimensional float32 or float64 array whose ops are recorded on the same tape as
// scalar Values and undone by the same reverse sweep.
//
// Two kinds of tensor, as with Values:
//   - tensors users make (from, zeros, ones, full, randn, rand, arange) own their storage,
//     reference-counted, and survive Tape::clear(); they are the leaves (weights, inputs);
//   - op results live on the tape: their buffers come from the tape's size-class pools and go
//     back at clear(); a handle to one raises Error after that clear (a generation check).
// Views (transpose, permute, slice, expand, reshape of a contiguous tensor) share data with their
// input; each tensor that takes part in backward has its own contiguous grad buffer.
//
// Type promotion (as PyTorch): an op between a float32 and a float64 tensor computes in float64
// (the float32 operand is cast, and its gradient cast back); a double operand keeps the
// tensor's type. requires_grad propagates: an op result requires grad when grad mode is on
// (no NoGrad alive) and any operand requires grad; grads are only made for those.
//
// Broadcasting follows NumPy: shapes are aligned at their last dims; a dim of size 1 stretches;
// gradients are summed back to each operand's shape.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "tapegrad/dtype.hpp"
#include "tapegrad/ops/elementwise.hpp"
#include "tapegrad/tape.hpp"
#include "tapegrad/value.hpp"

namespace tapegrad {

// Most dims a tensor may have.
inline constexpr int kMaxDims = 8;

// A tensor's sizes: a small fixed-capacity list, built from {2, 3}, a vector or a span.
class Shape {
public:
    Shape() = default;
    // Implicit on purpose, so that {2, 3} or a vector of sizes passes as a Shape.
    Shape(std::initializer_list<std::int64_t> sizes);
    Shape(std::span<const std::int64_t> sizes);
    Shape(const std::vector<std::int64_t>& sizes) : Shape(std::span<const std::int64_t>(sizes)) {}

    int size() const { return ndim_; }
    std::int64_t operator[](int d) const { return sizes_[d]; }
    std::int64_t& operator[](int d) { return sizes_[d]; }
    const std::int64_t* begin() const { return sizes_; }
    const std::int64_t* end() const { return sizes_ + ndim_; }
    std::int64_t numel() const;
    void push_back(std::int64_t n);
    std::vector<std::int64_t> to_vector() const { return {begin(), end()}; }
    std::string str() const;  // "[2, 3]"
    friend bool operator==(const Shape& a, const Shape& b);

private:
    std::int64_t sizes_[kMaxDims] = {};
    int ndim_ = 0;
};

// A seedable source of random numbers for randn and rand (a 64-bit Mersenne Twister; normals by
// Box-Muller, so a seed gives the same numbers on every platform).
class Generator {
public:
    explicit Generator(std::uint64_t seed = 0x5eed);
    void seed(std::uint64_t s);
    double uniform();  // [0, 1)
    double normal();   // mean 0, standard deviation 1

private:
    std::mt19937_64 engine_;  // its output sequence is fixed by the standard
    double spare_ = 0.0;
    bool has_spare_ = false;
};

// The generator factories use when none is given (one per thread).
Generator& default_generator();
void manual_seed(std::uint64_t seed);

namespace detail {
struct TensorImpl;
struct TensorAccess;  // how the library reaches a handle's internals (detail/tensor_impl.hpp)
}  // namespace detail

class Tensor {
public:
    Tensor() noexcept = default;  // an empty handle; using it raises Error
    Tensor(const Tensor& o) noexcept;
    Tensor(Tensor&& o) noexcept;
    Tensor& operator=(const Tensor& o) noexcept;
    Tensor& operator=(Tensor&& o) noexcept;
    ~Tensor();

    // ---- factories: tensors that own their storage and survive Tape::clear()
    // `values` in row-major order; their count must match the shape.
    static Tensor from(const std::vector<double>& values, const Shape& shape, DType dtype = DType::f32,
                       bool requires_grad = false);
    static Tensor from(std::span<const float> values, const Shape& shape, DType dtype = DType::f32,
                       bool requires_grad = false);
    // A new leaf holding a copy of t's values (gradients do not flow from it to t).
    static Tensor from(const Tensor& t, bool requires_grad = false);
    static Tensor zeros(const Shape& shape, DType dtype = DType::f32, bool requires_grad = false);
    static Tensor ones(const Shape& shape, DType dtype = DType::f32, bool requires_grad = false);
    static Tensor full(const Shape& shape, double value, DType dtype = DType::f32, bool requires_grad = false);
    // Standard normal and uniform [0, 1) values from `gen` (default_generator() if omitted).
    static Tensor randn(const Shape& shape, DType dtype = DType::f32, bool requires_grad = false);
    static Tensor randn(const Shape& shape, Generator& gen, DType dtype = DType::f32, bool requires_grad = false);
    static Tensor rand(const Shape& shape, DType dtype = DType::f32, bool requires_grad = false);
    static Tensor rand(const Shape& shape, Generator& gen, DType dtype = DType::f32, bool requires_grad = false);
    // start, start + step, ... up to but excluding end (1-d).
    static Tensor arange(double start, double end, double step = 1.0, DType dtype = DType::f32,
                         bool requires_grad = false);

    // ---- what it is
    bool defined() const { return impl_ != nullptr; }
    bool valid() const;  // defined, and (for op results) its tape not cleared since
    DType dtype() const;
    int dim() const;
    std::vector<std::int64_t> shape() const;
    std::span<const std::int64_t> sizes() const;    // no allocation
    std::span<const std::int64_t> strides() const;  // in elements
    std::int64_t size(int dim) const;               // negative dims count from the end
    std::int64_t numel() const;
    bool is_contiguous() const;
    bool requires_grad() const;
    bool is_leaf() const;                                  // made by a factory (not an op result)
    Tape* tape() const { return tape_; }                   // the tape an op result lives on; nullptr for leaves
    Tensor& set_requires_grad(bool requires_grad = true);  // leaves only

    // ---- values
    std::vector<double> to_vector() const;  // row-major
    double item() const;                    // one-element tensors only
    double at(std::initializer_list<std::int64_t> index) const;

    // ---- gradients
    // d self / d every leaf that requires grad, summed into the leaves' grads (which accumulate
    // across calls until zeroed, as in PyTorch). One-element tensors only.
    void backward() const;
    // The gradient buffer, same shape and type. For leaves it is shared with the tensor (a leaf
    // that requires grad always has one, zero until a backward adds to it).
    Tensor grad() const;
    void zero_grad();

    // ---- in place, for optimizer steps (leaves; not recorded; a leaf that requires grad must be
    // updated under NoGrad, as in PyTorch)
    Tensor& add_(const Tensor& other, double alpha = 1.0);  // self += alpha * other (broadcast)
    Tensor& mul_(double factor);
    Tensor& fill_(double value);
    Tensor& copy_(const Tensor& src);  // same number of elements

    // ---- elementwise (see also the operators below): relu, tanh, sigmoid, exp, log, sqrt, abs,
    // sin, cos (tapegrad/ops/elementwise.hpp), and pow
#define TAPEGRAD_DECLARE_UNARY(method, Rule) Tensor method() const;
    TAPEGRAD_UNARY_OPS(TAPEGRAD_DECLARE_UNARY)
#undef TAPEGRAD_DECLARE_UNARY
    Tensor pow(double exponent) const;

    // ---- linear algebra: [n, k] x [k, m], batched [b, n, k] x [b, k, m] (a batch of 1 or a 2-d
    // operand broadcasts), and 1-d operands as in torch.matmul.
    Tensor matmul(const Tensor& other) const;

    // ---- reductions: over everything (a 0-d result) or one dim
    Tensor sum() const;
    Tensor sum(int dim, bool keepdim = false) const;
    Tensor mean() const;
    Tensor mean(int dim, bool keepdim = false) const;
    Tensor max() const;                                  // ties share the gradient (as torch.max())
    Tensor max(int dim, bool keepdim = false) const;     // the gradient goes to the first maximum
    Tensor argmax(int dim, bool keepdim = false) const;  // indices as values; not differentiable

    // ---- shape: views where the strides allow, copies otherwise
    Tensor reshape(const Shape& shape) const;  // one size may be -1
    Tensor view(const Shape& shape) const { return reshape(shape); }
    Tensor flatten() const;
    Tensor transpose(int dim0, int dim1) const;
    Tensor t() const { return transpose(0, 1); }
    Tensor permute(const Shape& dims) const;
    Tensor unsqueeze(int dim) const;
    Tensor squeeze(int dim) const;
    Tensor expand(const Shape& shape) const;  // broadcast to shape, a view
    // Elements start, start + step, ... < end along dim; negative start/end count from the end
    // and are clamped as in Python slicing.
    Tensor slice(int dim, std::int64_t start, std::int64_t end, std::int64_t step = 1) const;
    Tensor select(int dim, std::int64_t index) const;  // removes dim
    Tensor contiguous() const;
    Tensor to(DType dtype) const;  // recorded: gradients flow back through the cast
    Tensor detach() const;         // same data, no gradient

    // ---- softmax along a dim, numerically stable (the max is subtracted first)
    Tensor softmax(int dim) const;
    Tensor log_softmax(int dim) const;

    // ---- Values and Tensors in one graph (float64 carries the graph exactly; float32 rounds)
    // A tensor of `shape` holding the Values' numbers in row-major order; grads flow back to the
    // Values (backward, and grad with create_graph for float64).
    static Tensor from_values(const std::vector<Value>& values, const Shape& shape, DType dtype = DType::f64);
    // Element `index` as a Value on the tensor's tape (the current tape for a leaf), whose grad
    // flows back into the tensor; {} for a 0-d tensor.
    Value element(std::initializer_list<std::int64_t> index) const;

    // For the elementwise rules (tapegrad/ops/elementwise.hpp) evaluated on tensors by grad with
    // create_graph; found by argument-dependent lookup only. step, sign and zero give constant
    // tensors (no gradient flows through them), as the rules' comparisons give constants.
#define TAPEGRAD_DECLARE_UNARY_FRIEND(method, Rule) \
    friend Tensor method(const Tensor& x) { return x.method(); }
    TAPEGRAD_UNARY_OPS(TAPEGRAD_DECLARE_UNARY_FRIEND)
#undef TAPEGRAD_DECLARE_UNARY_FRIEND
    friend Tensor pow(const Tensor& x, double exponent) { return x.pow(exponent); }
    friend Tensor step(const Tensor& x);
    friend Tensor sign(const Tensor& x);
    friend Tensor zero(const Tensor& x);

private:
    friend struct detail::TensorAccess;

    // The impl behind the handle; raises Error if the handle is empty or its tape was cleared.
    detail::TensorImpl* impl(const char* op) const {
        if (tape_ != nullptr) {
            if (generation_ != tape_->generation()) [[unlikely]]
                throw_stale(op);
        } else if (impl_ == nullptr) [[unlikely]] {
            throw_empty(op);
        }
        return impl_;
    }
    [[noreturn]] void throw_stale(const char* op) const;
    [[noreturn]] static void throw_empty(const char* op);

    detail::TensorImpl* impl_ = nullptr;
    Tape* tape_ = nullptr;  // op results: the tape they live on
    std::uint64_t generation_ = 0;
};

Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator+(const Tensor& a, double b);
Tensor operator-(const Tensor& a, double b);
Tensor operator*(const Tensor& a, double b);
Tensor operator/(const Tensor& a, double b);
Tensor operator+(double a, const Tensor& b);
Tensor operator-(double a, const Tensor& b);
Tensor operator*(double a, const Tensor& b);
Tensor operator/(double a, const Tensor& b);
Tensor operator-(const Tensor& a);

Tensor matmul(const Tensor& a, const Tensor& b);
// Joins tensors along dim; they agree in every other size and are promoted to a common type.
Tensor cat(std::span<const Tensor> tensors, int dim = 0);
inline Tensor cat(std::initializer_list<Tensor> tensors, int dim = 0) {
    return cat(std::span<const Tensor>(tensors.begin(), tensors.size()), dim);
}
inline Tensor cat(const std::vector<Tensor>& tensors, int dim = 0) {
    return cat(std::span<const Tensor>(tensors), dim);
}

std::ostream& operator<<(std::ostream& os, const Tensor& t);

}  // namespace tapegrad
