// Custom tensor ops (include/tapegrad/custom_op.hpp): the user's forward and backward, written
// with tensor ops and run with nothing recorded, become one tape entry. The entry's backward hands
// the output's grad to the user's backward as a tensor, checks each gradient it returns against
// its input (shape and dtype) and adds it into the input's grad.
#include "tapegrad/custom_op.hpp"

#include <algorithm>
#include <string>

#include <boost/container/small_vector.hpp>

#include "tapegrad/detail/op_recorder.hpp"
#include "tapegrad/detail/tensor_loops.hpp"

namespace tapegrad {

const Tensor& TensorOpContext::saved(std::size_t i) const {
    if (i >= count_)
        detail::tensor_error(op_, "saved(" + std::to_string(i) +
                                      ") asks for a tensor the forward did not save (it saved " +
                                      std::to_string(count_) + ")");
    return i < first_.size() ? first_[i] : rest_[i - first_.size()];
}

namespace detail {
namespace {

using Tensors = boost::container::small_vector<Tensor, 4>;

// A custom op's saved data: its inputs, the context its forward filled, and its calls.
struct CustomOp : OpData<kAnyInputs> {
    const CustomOpCalls* calls;
    mutable TensorOpContext ctx;  // the user's backward takes it by reference

    CustomOp(TensorImpl* result, std::span<TensorImpl* const> inputs, const CustomOpCalls& op_calls,
             TensorOpContext&& context)
        : OpData(result, inputs), calls(&op_calls), ctx(std::move(context)) {}

    // The plain form: the user's gradients are tensors of their inputs' dtypes, not one kernel type.
    void backward() {
        Tensors grads(in.size());
        {
            NoGrad off;
            calls->backward(ctx, grad_view(*out->tape, *out), std::span<Tensor>(grads.data(), grads.size()));
        }
        for (std::size_t k = 0; k < in.size(); ++k)
            if (grads[k].defined()) check_gradient(impl_of(grads[k], calls->name), k);
        for (std::size_t k = 0; k < in.size(); ++k) {
            TensorImpl* x = in[k];
            if (!grads[k].defined() || !x->requires_grad) continue;
            const TensorImpl* g = impl_of(grads[k], calls->name);
            dispatch(x->dtype, [&]<class T>() {
                add_to_contiguous<T>(g->ndim, g->sizes, g->ptr<T>(), g->strides, x->grad_ptr<T>());
            });
        }
    }

    // For grad(): the user's backward on gy, first order only. Its forward saw its inputs detached
    // and ran under NoGrad, so nothing it saved carries the graph: create_graph cannot go through.
    void grads(const Tensor& gy, std::span<Tensor> gx, std::span<const char> want) const {
        if (Tape::current().grad_enabled())
            tensor_error(calls->name,
                         "a custom op gives first derivatives only: grad with create_graph cannot "
                         "differentiate through it");
        Tensors grads(in.size());
        calls->backward(ctx, gy, std::span<Tensor>(grads.data(), grads.size()));
        for (std::size_t k = 0; k < in.size(); ++k) {
            if (!grads[k].defined()) continue;
            check_gradient(impl_of(grads[k], calls->name), k);
            if (want[k] != 0) gx[k] = grads[k];
        }
    }

    void check_gradient(const TensorImpl* g, std::size_t k) const {
        const TensorImpl* x = in[k];
        const std::string which = "for input " + std::to_string(k);
        if (!(g->shape() == x->shape()))
            tensor_error(calls->name, "backward returned a gradient of shape " + shape_str(g) + " " + which +
                                          ", whose shape is " + shape_str(x));
        if (g->dtype != x->dtype)
            tensor_error(calls->name, "backward returned a " + std::string(dtype_name(g->dtype)) + " gradient " +
                                          which + ", which is " + dtype_name(x->dtype) + " (shape " + shape_str(x) +
                                          ")");
    }
};

}  // namespace

Tensor apply_custom(const CustomOpCalls& calls, std::span<const Tensor> inputs) {
    const char* op = calls.name;
    boost::container::small_vector<TensorImpl*, 4> impls;
    for (const Tensor& t : inputs) impls.push_back(impl_of(t, op));
    Tape& tape = tape_of_all(inputs, op);
    const bool requires_grad = needs_grad(tape, std::span<TensorImpl* const>(impls.data(), impls.size()));

    // The forward records nothing: its inputs are cut from the graph, and NoGrad covers what it
    // makes from tensors of its own.
    Tensors plain(inputs.begin(), inputs.end());
    for (Tensor& t : plain)
        if (t.requires_grad()) t = t.detach();
    TensorOpContext ctx(op);
    Tensor y;
    {
        NoGrad off;
        y = calls.forward(ctx, std::span<const Tensor>(plain.data(), plain.size()));
    }
    if (!y.defined()) tensor_error(op, "forward returned an empty Tensor");
    const TensorImpl* yi = impl_of(y, op);
    if (y.tape() != nullptr && y.tape() != &tape)
        tensor_error(op, "forward returned a tensor recorded on another tape than its inputs'");

    // The output is a view of what forward returned, with a grad of its own.
    TensorImpl* out = new_view(tape, *yi, yi->shape(), yi->strides, 0, requires_grad);
    if (!requires_grad) return TensorAccess::wrap_result(out, tape);
    auto** kept =
        static_cast<TensorImpl**>(tape.arena().allocate(impls.size() * sizeof(TensorImpl*), alignof(TensorImpl*)));
    std::copy(impls.begin(), impls.end(), kept);
    return finish_op<CustomOp>(tape, op, out, out, std::span<TensorImpl* const>(kept, impls.size()), calls,
                               std::move(ctx));
}

}  // namespace detail
}  // namespace tapegrad
