// grad: derivatives of one Value (or one-element Tensor) with respect to chosen ones, returned
// instead of accumulated (as torch.autograd.grad), and with create_graph, recorded so that they
// can be differentiated again, to any order. docs/ARCHITECTURE.md, "Higher order", says what it
// records and costs.
//
//   tapegrad::HigherOrder guard;                    // record what create_graph needs (Values)
//   Value x = 1.5, y = 0.5;
//   Value f = x * x * y + (x * y).sin();
//   std::vector<Value> df = grad(f, {x, y}, {.create_graph = true});  // Values on the tape
//   std::vector<Value> d2f = grad(df[0], {x, y});   // d2f/dx2, d2f/dxdy
//
//   Tensor w = Tensor::randn({3, 3}, DType::f64, true);  // tensors need no guard
//   Tensor g = grad((w.matmul(w).tanh()).sum(), {w}, {.create_graph = true})[0];
//   Tensor hv = grad((g * v).sum(), {w})[0];        // a Hessian-vector product
//
//   // Values and Tensors in one graph (the scalar part recorded under HigherOrder):
//   Tensor y = w.matmul(x).tanh();
//   Value e = y.element({0, 0}) * y.element({1, 0});
//   Tensor ge = grad(Tensor::from_values({e}, {}), {w}, {.create_graph = true})[0];
#pragma once

#include <vector>

#include "tapegrad/tensor.hpp"
#include "tapegrad/value.hpp"

namespace tapegrad {

struct GradOptions {
    // Record the derivatives as ops on the output's tape (under HigherOrder), so that they can be
    // differentiated again. For Values the graph from the inputs to the output must have been
    // recorded under HigherOrder; otherwise Error, never a wrong result. Tensor ops need no guard.
    bool create_graph = false;
    // An input the output does not depend on gives an empty handle (Value::valid() is false,
    // Tensor::defined() is false) instead of raising Error. (One it depends on only through zero
    // partials, a relu that is off say, gives a Value holding 0.)
    bool allow_unused = false;
};

// d output / d input for each input (leaves, parameters or intermediate results). No node's
// grad() changes. Without create_graph the results are constants (leaves on the output's tape);
// with it they are Values on that tape that depend on the graph. The graph may pass through
// tensors (Tensor::from_values, tensor ops, Tensor::element): with create_graph their scalar nodes
// too must have been recorded under HigherOrder. Raises Error under create_graph for a user's
// ScalarOp or custom tensor op (they give first derivatives only), for an entry without a tensor
// rule, and for empty or stale handles, naming the input.
std::vector<Value> grad(const Value& output, const std::vector<Value>& inputs, GradOptions options = {});

// The same for tensors: d output / d input for each input, each in its input's shape and type
// (as torch.autograd.grad). The output has one element; no tensor's grad() changes. Each op's
// rule, written with tensor ops, runs from the output back over the tape: without create_graph
// under NoGrad (the results are plain tensors on the output's tape), with it recorded, so that
// the results can be differentiated again, to any order. Needs no HigherOrder guard: tensor ops
// always keep what their rule reads. Raises Error naming the op for an op without a rule (custom
// ops under create_graph) and for a leaf an op read that was changed in place since; naming the
// input for empty or stale handles and inputs that do not require grad. The walk follows Values
// too (Tensor::element, scalar ops, Tensor::from_values); with create_graph, scalar nodes on that
// path must have been recorded under HigherOrder, as for grad() on Values.
std::vector<Tensor> grad(const Tensor& output, const std::vector<Tensor>& inputs, GradOptions options = {});

}  // namespace tapegrad
