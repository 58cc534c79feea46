// ScalarOp: a scalar op of your own, recorded as one node with the partial derivatives you give,
// in the spirit of Stan's make_callback_var. The tape stores the partials (a Jacobian tape), so
// the reverse sweep treats it as any built-in op. docs/EXTENDING.md has a worked example.
//
//   // y = x^3 + x z,  dy/dx = 3x^2 + z,  dy/dz = x
//   static const tapegrad::ScalarOp cubic("cubic");
//   Value f(const Value& x, const Value& z) {
//       const double xv = x.data(), zv = z.data();
//       return cubic(xv * xv * xv + xv * zv, {{x, 3 * xv * xv + zv}, {z, xv}});
//   }
#pragma once

#include <initializer_list>
#include <span>

#include "tapegrad/value.hpp"

namespace tapegrad {

class ScalarOp {
public:
    // One d(result)/d(parent).
    struct Partial {
        const Value& parent;
        double d;
    };

    // `name` appears in pictures (to_dot), Value::op() and anomaly-mode errors. Make each op once
    // (a static, say): a program has room for at least 128 of them (256 op codes, less the
    // built-in ops).
    explicit ScalarOp(const char* name);
    const char* name() const;

    // A new node on the parents' tape (the current one if every parent is a parameter) whose value
    // is `value` and whose partial d value / d parents[i] is partials[i]. Parents may repeat. Under
    // NoGrad the result is a constant. Errors: an empty or stale parent, parents on different
    // tapes, or partials and parents of different lengths, each naming the op.
    Value operator()(double value, std::initializer_list<Partial> partials) const;
    Value operator()(double value, std::span<const Value> parents, std::span<const double> partials) const;

private:
    std::uint8_t code_;
};

}  // namespace tapegrad
