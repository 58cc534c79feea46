// Value: a handle to a double-precision scalar recorded on a tape (or a parameter).
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <span>
#include <vector>

#include "tapegrad/ops/elementwise.hpp"
#include "tapegrad/tape.hpp"

namespace tapegrad {

namespace detail {
struct ValueAccess;
[[noreturn]] void throw_stale(const char* op, std::uint64_t recorded, std::uint64_t now);
[[noreturn]] void throw_empty(const char* op);
[[noreturn]] void throw_mixed_tapes(const char* op);
[[noreturn]] void throw_size_mismatch(const char* op, std::size_t a, std::size_t b);
}  // namespace detail

// A Value names one node: either on a tape (an op result or a plain leaf, valid until that tape
// is cleared) or a parameter (a leaf that survives clear()). Copying a Value copies the handle,
// not the node. Arithmetic records a new node on the operands' tape.
//
// Note [fusing temporaries]: an op whose (first) operand is an unnamed temporary, such as the
// a*b in `(a*b + c).tanh()`, does not record a node of its own: it folds itself into the
// temporary's node (value = op(value), every partial times d op / d value, one more partial for
// its other operand), so that expression is one node with three partials, as with Adept's
// expression templates. Only a handle no one has copied can be folded into, so any value a
// program names or keeps keeps its own node and its grad; a named value passed as
// std::move(v) may be folded into, and v is then empty (as after any move: moving a Value hands
// its node over). tapegrad/detail/record.hpp has the rules; Tape::op_count() still counts every op.
class Value {
public:
    Value() noexcept = default;  // an empty handle; using it raises Error
    // A copy marks both handles as shared: neither is fused into. (Copying a handle that is
    // already shared, a parameter's say, only reads it, so threads may copy one at once.)
    Value(const Value& o) noexcept
        : node_(o.node_), tape_(o.tape_), generation_(o.generation_), value_(o.value_), sole_(false),
          result_(o.result_) {
        if (o.sole_) o.sole_ = false;
    }
    Value& operator=(const Value& o) noexcept {
        if (o.sole_) o.sole_ = false;
        node_ = o.node_;
        tape_ = o.tape_;
        generation_ = o.generation_;
        value_ = o.value_;
        result_ = o.result_;
        sole_ = false;
        return *this;
    }
    // A move hands the node over: the moved-from handle is empty.
    Value(Value&& o) noexcept
        : node_(o.node_), tape_(o.tape_), generation_(o.generation_), value_(o.value_), sole_(o.sole_),
          result_(o.result_) {
        o.node_ = nullptr;
        o.tape_ = nullptr;
        o.generation_ = 0;
    }
    Value& operator=(Value&& o) noexcept {
        node_ = o.node_;
        tape_ = o.tape_;
        generation_ = o.generation_;
        value_ = o.value_;
        result_ = o.result_;
        sole_ = o.sole_;
        if (&o != this) {
            o.node_ = nullptr;
            o.tape_ = nullptr;
            o.generation_ = 0;
        }
        return *this;
    }
    Value(double x);              // implicit on purpose, a leaf on the current tape
    Value(Tape& tape, double x);  // a leaf on the given tape

    // A leaf that survives Tape::clear(): what nn's weights are made of. It lives until
    // release_parameter() or the end of the program; nn modules release theirs.
    static Value parameter(double x);
    // Returns a parameter's memory; every handle to it is dangling afterwards.
    static void release_parameter(Value& p);

    double data() const {
        check("data");
        return node_->value;
    }
    double grad() const {
        check("grad");
        return node_->grad;
    }
    void set_data(double x);  // leaves and parameters only
    void set_grad(double g) {
        check("set_grad");
        node_->grad = g;
    }
    void zero_grad() { set_grad(0.0); }

    // Seeds this node's grad with `seed` (d self / d self = 1) and sweeps the tape backwards,
    // accumulating into every leaf and parameter that this value depends on. Grads accumulate
    // across calls until zeroed; calling it again over the same graph is allowed.
    void backward(double seed = 1.0) const {  // inline: a handle's address need not escape
        check("backward");
        if (tape_ == nullptr) {
            node_->grad += seed;  // a parameter depends on nothing but itself
            return;
        }
        tape_->backward(node_, seed);
    }

    bool is_parameter() const { return node_ != nullptr && tape_ == nullptr; }
    bool is_leaf() const;                 // a leaf on a tape, or a parameter
    bool valid() const;                   // non-empty and its tape not cleared since it was recorded
    const char* op() const;               // "leaf", "+", "tanh", ...
    Tape* tape() const { return tape_; }  // nullptr for parameters

    // The unary ops: relu, tanh, sigmoid, exp, log, sqrt, abs, sin, cos (each one's value and
    // derivative are in tapegrad/ops/elementwise.hpp), and pow.
#define TAPEGRAD_DECLARE_UNARY(method, Rule) \
    Value method() const&;                   \
    Value method()&&;
    TAPEGRAD_UNARY_OPS(TAPEGRAD_DECLARE_UNARY)
#undef TAPEGRAD_DECLARE_UNARY
    Value pow(double exponent) const&;
    Value pow(double exponent) &&;
    Value pow(const Value& exponent) const&;
    Value pow(const Value& exponent) &&;

    Value& operator+=(const Value& o);
    Value& operator-=(const Value& o);
    Value& operator*=(const Value& o);
    Value& operator/=(const Value& o);
    Value& operator+=(double o);
    Value& operator-=(double o);
    Value& operator*=(double o);
    Value& operator/=(double o);

    // What the elementwise rules' comparisons read on a Value (ops/elementwise.hpp, ops::math):
    // found by argument-dependent lookup only, they compare its number and give a constant, so a
    // rule's partial evaluated on Values by create_graph records nothing for them.
    friend double number(const Value& x) { return x.data(); }
    friend double step(const Value& x) { return ops::math::step(x.data()); }
    friend double sign(const Value& x) { return ops::math::sign(x.data()); }

private:
    friend struct detail::ValueAccess;  // recorders' and the engine's view (below)

    // Raises Error if the handle is empty or its tape was cleared.
    void check(const char* op) const {
        if (tape_ != nullptr) {
            if (generation_ != tape_->generation()) [[unlikely]]
                detail::throw_stale(op, generation_, tape_->generation());
        } else if (node_ == nullptr) [[unlikely]] {
            detail::throw_empty(op);
        }
    }

    detail::Node* node_ = nullptr;
    Tape* tape_ = nullptr;  // nullptr for parameters (and for the empty handle)
    // The tape's generation when recorded; kParameterGeneration for a parameter, 0 when empty
    // (tape.hpp: a generation names one tape, so recorders check a handle with it alone).
    std::uint64_t generation_ = 0;
    double value_ = 0.0;         // the node's value, if result_
    mutable bool sole_ = false;  // a fresh op result no copy was made of (copying clears it on both)
    bool result_ = false;        // names an op result, whose value never changes
};

namespace detail {
// What recorders and the engine may see of a handle beyond the user API.
struct ValueAccess {
    // Raises Error naming op if the handle is empty or its tape was cleared.
    static void check(const Value& v, const char* op) { v.check(op); }
    static Node* node(const Value& v) { return v.node_; }
    static std::uint64_t generation(const Value& v) { return v.generation_; }  // its tape's, when recorded
    // True if no other handle names this one's node (Note [fusing temporaries]).
    static bool sole(const Value& v) { return v.sole_; }
    // Empties the handle: an op consumed it by fusing into its node.
    static void consume(Value& v) {
        v.node_ = nullptr;
        v.tape_ = nullptr;
        v.generation_ = 0;
    }
    // The node's value, for recorders (after check()). An op result's value never changes (only
    // leaves and parameters are assigned), so its handle carries it: the next op reads it from a
    // register instead of waiting for the node's store to reach memory. Leaves read the node.
    static double value(const Value& v) { return v.result_ ? v.value_ : v.node_->value; }
    // A handle to an existing node (a parameter if tape is null).
    static Value wrap(Node* node, Tape* tape) {
        Value v;
        v.node_ = node;
        v.tape_ = tape;
        v.generation_ = tape != nullptr ? tape->generation() : node != nullptr ? kParameterGeneration : 0;
        return v;
    }
    // A handle to a new op result on `tape` whose value is `value`.
    static Value result(Node* node, Tape& tape, double value) {
        Value v;
        v.node_ = node;
        v.tape_ = &tape;
        v.generation_ = tape.generation();
        v.value_ = value;
        v.sole_ = true;
        v.result_ = true;
        return v;
    }
};
}  // namespace detail

Value operator+(const Value& a, const Value& b);
Value operator-(const Value& a, const Value& b);
Value operator*(const Value& a, const Value& b);
Value operator/(const Value& a, const Value& b);
Value operator+(const Value& a, double b);
Value operator-(const Value& a, double b);
Value operator*(const Value& a, double b);
Value operator/(const Value& a, double b);
Value operator+(double a, const Value& b);
Value operator-(double a, const Value& b);
Value operator*(double a, const Value& b);
Value operator/(double a, const Value& b);
Value operator-(const Value& a);
// The same on a temporary left operand, which they may fuse into (Note [fusing temporaries]).
Value operator+(Value&& a, const Value& b);
Value operator-(Value&& a, const Value& b);
Value operator*(Value&& a, const Value& b);
Value operator/(Value&& a, const Value& b);
Value operator+(Value&& a, double b);
Value operator-(Value&& a, double b);
Value operator*(Value&& a, double b);
Value operator/(Value&& a, double b);
Value operator+(double a, Value&& b);
Value operator-(double a, Value&& b);
Value operator*(double a, Value&& b);
Value operator/(double a, Value&& b);
Value operator-(Value&& a);

// Fused n-ary ops: one node with many parents.
Value sum(std::span<const Value> xs);                           // x0 + x1 + ...
Value dot(std::span<const Value> a, std::span<const Value> b);  // a0*b0 + a1*b1 + ...
// a . b + bias, a neuron's pre-activation: the one node dot(a, b) + bias gives by fusing, made in
// one pass.
Value dot(std::span<const Value> a, std::span<const Value> b, const Value& bias);
inline Value sum(std::initializer_list<Value> xs) { return sum(std::span<const Value>(xs.begin(), xs.size())); }

// The unary methods as free functions (tapegrad::exp(x) is x.exp()), and pow: so that code
// written for numbers, such as the elementwise rules' partials, also runs on Values.
#define TAPEGRAD_DECLARE_FREE_UNARY(method, Rule) Value method(const Value& x);
TAPEGRAD_UNARY_OPS(TAPEGRAD_DECLARE_FREE_UNARY)
#undef TAPEGRAD_DECLARE_FREE_UNARY
Value pow(const Value& x, double exponent);
Value pow(const Value& x, const Value& exponent);

std::ostream& operator<<(std::ostream& os, const Value& v);

}  // namespace tapegrad

#include "tapegrad/ops/scalar.hpp"
