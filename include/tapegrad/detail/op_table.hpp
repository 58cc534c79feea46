// The scalar op table: every node stores its op as an 8-bit code into it, for names in pictures,
// errors and Value::op(). Built-in ops take the first codes; ops users define (ScalarOp in
// tapegrad/scalar_op.hpp) are registered after them at run time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "tapegrad/ops/elementwise.hpp"

namespace tapegrad::ops {

// The node kinds that have no elementwise rule: leaves, and the n-ary ops (ops/scalar.hpp).
struct Leaf {
    static constexpr const char* name = "leaf";
};
// d(x0 + x1 + ...)/dxi = 1
struct Sum {
    static constexpr const char* name = "sum";
};
// d(a . b)/dai = bi, d(a . b)/dbi = ai
struct Dot {
    static constexpr const char* name = "dot";
};

}  // namespace tapegrad::ops

namespace tapegrad::detail {

template <class... Ops> struct OpList {
    static constexpr std::size_t count = sizeof...(Ops);
    static constexpr const char* names[] = {ops::symbol_of<Ops>()...};
    template <class Op> static constexpr std::uint8_t code() {
        constexpr bool is_op[] = {std::is_same_v<Op, Ops>...};
        for (std::uint8_t i = 0; i < sizeof...(Ops); ++i)
            if (is_op[i]) return i;
        throw "not in the op list";  // a compile error: code() is only evaluated at compile time
    }
    // Calls f.template operator()<Op>() for each op, in code order (the tests iterate the list).
    template <class F> static void for_each(F&& f) { (f.template operator()<Ops>(), ...); }
};
// The unary methods' rules come from TAPEGRAD_UNARY_OPS itself, so adding one needs no line here.
#define TAPEGRAD_OP_TYPE(method, Rule) ops::Rule,
using ScalarOps = OpList<ops::Leaf, ops::AddConst, ops::RSubConst, ops::MulConst, ops::DivConst, ops::RDivConst,
                         ops::PowConst, ops::Neg, TAPEGRAD_UNARY_OPS(TAPEGRAD_OP_TYPE) ops::Add, ops::Sub, ops::Mul,
                         ops::Div, ops::Pow, ops::Sum, ops::Dot>;
#undef TAPEGRAD_OP_TYPE
template <class Op> inline constexpr std::uint8_t code_of = ScalarOps::code<Op>();
static_assert(ScalarOps::count <= 128, "a Node holds its op code in 8 bits; half are kept for users' ops");

// The name of the op with this code (a built-in op's symbol, or a user op's name).
const char* op_name(std::uint8_t code);
// A new code for a user's op called `name` (a copy is kept); Error once the table is full.
std::uint8_t register_op(const char* name);

}  // namespace tapegrad::detail
