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
// with it they are Values on that tape that depend on the graph. The sweep covers scalar nodes:
// a graph through a tensor op raises Error (Tensor::backward differentiates those), as does,
// under create_graph, a user's ScalarOp (it gives first derivatives only). Empty or stale
// handles raise Error naming the input.
std::vector<Value> grad(const Value& output, const std::vector<Value>& inputs, GradOptions options = {});

// The same for tensors: d output / d input for each input, each in its input's shape and type
// (as torch.autograd.grad). The output has one element; no tensor's grad() changes. Each op's
// rule, written with tensor ops, runs from the output back over the tape: without create_graph
// under NoGrad (the results are plain tensors on the output's tape), with it recorded, so that
// the results can be differentiated again, to any order. Needs no HigherOrder guard: tensor ops
// always keep what their rule reads. Raises Error naming the op for an op without a rule (custom
// ops under create_graph) and for a leaf an op read that was changed in place since; naming the
// input for empty or stale handles and inputs that do not require grad. The walk does not
// follow Values: an output that depends on the inputs through Tensor::element and
// Tensor::from_values is an Error (backward() differentiates such graphs).
std::vector<Tensor> grad(const Tensor& output, const std::vector<Tensor>& inputs, GradOptions options = {});

}  // namespace tapegrad
