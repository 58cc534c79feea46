// The fused loss ops, each one entry with its own backward, for stability and speed:
//
//   bce_with_logits: l = mean(max(x, 0) - x t + log1p(exp(-|x|))),
//                    dl/dx = (sigmoid(x) - t) / N,  dl/dt = -x / N
//   cross_entropy:   l = mean_i(logsumexp(x_i) - x_i[y_i]),
//                    dl/dx_ic = (softmax(x_i)_c - [c = y_i]) / N
#include "tapegrad/detail/loss_ops.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "tapegrad/detail/log_sum_exp.hpp"
#include "tapegrad/detail/op_recorder.hpp"

#include "tapegrad/ops/elementwise.hpp"

namespace tapegrad::detail {
namespace {

struct BceWithLogits : OpData<2> {
    void grads(const Tensor& gy, std::span<Tensor> gx, std::span<const char> want) const {
        const Tensor x = handle_of(in[0]), t = handle_of(in[1]);
        const Tensor g = gy / static_cast<double>(in[0]->numel);
        if (want[0] != 0) gx[0] = (x.sigmoid() - t) * g;
        if (want[1] != 0) gx[1] = -x * g;
    }

    template <class T> void backward(const T* gy, T* gx, T* gt) const {
        const TensorImpl* x = in[0];
        const TensorImpl* t = in[1];
        const T g = *gy / static_cast<T>(x->numel);
        const T* xp = x->ptr<T>();
        const T* tp = t->ptr<T>();
        if (gx != nullptr)
            for (std::int64_t i = 0; i < x->numel; ++i) gx[i] += g * (ops::Sigmoid::value(xp[i], T(0)) - tp[i]);
        if (gt != nullptr)
            for (std::int64_t i = 0; i < t->numel; ++i) gt[i] -= g * xp[i];
    }
};

struct CrossEntropy : OpData<1> {
    const std::int64_t* labels;  // a copy in the tape's arena

    CrossEntropy(const OpTensors<1>& t, Tape& tape, std::span<const std::int64_t> batch_labels) : OpData(t) {
        auto* kept = static_cast<std::int64_t*>(
            tape.arena().allocate(batch_labels.size() * sizeof(std::int64_t), alignof(std::int64_t)));
        std::copy(batch_labels.begin(), batch_labels.end(), kept);
        labels = kept;
    }

    // dl/dx = (softmax(x) - one_hot(labels)) gy / N, the softmax recorded (its own rule follows).
    void grads(const Tensor& gy, std::span<Tensor> gx, std::span<const char>) const {
        const std::int64_t n = in[0]->sizes[0], c = in[0]->sizes[1];
        std::vector<double> one_hot(static_cast<std::size_t>(n * c), 0.0);
        for (std::int64_t i = 0; i < n; ++i) one_hot[static_cast<std::size_t>(i * c + labels[i])] = 1.0;
        const Tensor hot = Tensor::from(one_hot, {n, c}, in[0]->dtype);
        gx[0] = (handle_of(in[0]).softmax(1) - hot) * (gy / static_cast<double>(n));
    }

    template <class T> void backward(const T* gy, T* gx) const {
        const TensorImpl* x = in[0];
        const std::int64_t n = x->sizes[0], c = x->sizes[1];
        const double g = static_cast<double>(*gy) / static_cast<double>(n);
        const T* xp = x->ptr<T>();
        for (std::int64_t i = 0; i < n; ++i) {
            const T* row = xp + i * c;
            const auto [m, s] = max_and_exp_sum(row, c, 1);
            const double inv = 1.0 / s;
            for (std::int64_t k = 0; k < c; ++k) {
                const double p = std::exp(static_cast<double>(row[k] - m)) * inv;
                gx[i * c + k] += static_cast<T>(g * (p - (k == labels[i] ? 1.0 : 0.0)));
            }
        }
    }
};

}  // namespace

Tensor bce_with_logits(const Tensor& logits, const Tensor& targets) {
    constexpr const char* op = "binary_cross_entropy_with_logits";
    const TensorImpl* p = impl_of(logits, op);
    const TensorImpl* q = impl_of(targets, op);
    if (!(p->shape() == q->shape()))
        tensor_error(op, "logits and targets shapes differ: " + shape_str(p) + " and " + shape_str(q));
    Tensor x = logits, t = targets;
    promote(x, t, op);
    x = x.contiguous();
    t = t.contiguous();
    OpRecorder rec(op, x, t);
    const TensorImpl* xi = rec.input(0);
    const TensorImpl* ti = rec.input(1);
    TensorImpl* out = rec.result(xi->dtype, Shape{});
    dispatch(xi->dtype, [&]<class T>() {
        const T* xp = xi->ptr<T>();
        const T* tp = ti->ptr<T>();
        double acc = 0.0;
        for (std::int64_t i = 0; i < xi->numel; ++i) {
            const double v = static_cast<double>(xp[i]), w = static_cast<double>(tp[i]);
            acc += std::fmax(v, 0.0) - v * w + std::log1p(std::exp(-std::fabs(v)));
        }
        *out->ptr<T>() = static_cast<T>(acc / static_cast<double>(xi->numel));
    });
    return rec.finish<BceWithLogits>(out);
}

Tensor cross_entropy(const Tensor& logits, std::span<const std::int64_t> labels) {
    constexpr const char* op = "cross_entropy";
    const TensorImpl* p = impl_of(logits, op);
    if (p->ndim == 1) return cross_entropy(logits.unsqueeze(0), labels);
    if (p->ndim != 2) tensor_error(op, "logits must be [batch, classes] or [classes], got " + shape_str(p));
    const std::int64_t n = p->sizes[0], c = p->sizes[1];
    if (static_cast<std::int64_t>(labels.size()) != n)
        tensor_error(op, std::to_string(labels.size()) + " labels for a batch of " + std::to_string(n) + " (logits " +
                             shape_str(p) + ")");
    for (std::size_t i = 0; i < labels.size(); ++i)
        if (labels[i] < 0 || labels[i] >= c)
            tensor_error(op, "label " + std::to_string(labels[i]) + " at position " + std::to_string(i) +
                                 " is out of range for " + std::to_string(c) + " classes");
    if (n == 0) tensor_error(op, "empty batch (logits " + shape_str(p) + ")");
    const Tensor x = logits.contiguous();
    OpRecorder rec(op, x);
    const TensorImpl* xi = rec.input(0);
    TensorImpl* out = rec.result(xi->dtype, Shape{});
    dispatch(xi->dtype, [&]<class T>() {
        const T* xp = xi->ptr<T>();
        double total = 0.0;
        for (std::int64_t i = 0; i < n; ++i) {
            const T* row = xp + i * c;
            const auto [m, s] = max_and_exp_sum(row, c, 1);
            total +=
                static_cast<double>(m) + std::log(s) - static_cast<double>(row[labels[static_cast<std::size_t>(i)]]);
        }
        *out->ptr<T>() = static_cast<T>(total / static_cast<double>(n));
    });
    return rec.finish<CrossEntropy>(out, rec.tape(), labels);
}

}  // namespace tapegrad::detail
