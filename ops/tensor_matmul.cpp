// Matrix products through the BLAS: C = A B for 2-d operands and batches of them (3-d; a batch of
// one, or a 2-d operand, is broadcast over the other's batch), 1-d operands as in torch.matmul.
//
// Backward: dA += dC B^T, dB += A^T dC (summed over the batch for a broadcast operand). Operands
// go to the BLAS in place when their strides are a row-major or a transposed layout (so a
// transpose() view costs nothing); other layouts are copied once to scratch.
#include <algorithm>

#include "tapegrad/detail/gemm.hpp"
#include "tapegrad/detail/op_recorder.hpp"
#include "tapegrad/detail/tensor_loops.hpp"
#include "tapegrad/detail/tensor_pool.hpp"
#include "tapegrad/threads.hpp"

namespace tapegrad::detail {
namespace {

// A batch of rows x cols matrices as the BLAS sees it: element (i, j) of matrix q is at
// p + q*batch + (trans ? j*ld + i : i*ld + j).
template <class T> struct Operand {
    const T* p = nullptr;
    bool trans = false;
    std::int64_t ld = 1;
    std::int64_t batch = 0;
    std::int64_t rows = 0, cols = 0;
};

// The matrices of t (2-d or 3-d) in place if its strides allow it, else copied to `scratch`.
template <class T> Operand<T> operand(Tape& tape, const TensorImpl* t, Scratch*& scratch, unsigned char* room) {
    Operand<T> o;
    const int nd = t->ndim;
    o.rows = t->sizes[nd - 2];
    o.cols = t->sizes[nd - 1];
    const std::int64_t sr = t->strides[nd - 2], sc = t->strides[nd - 1];
    const std::int64_t r = o.rows, c = o.cols;
    o.batch = nd == 3 && t->sizes[0] != 1 ? t->strides[0] : 0;
    o.p = t->ptr<T>();
    if ((c == 1 || sc == 1) && (r == 1 || sr >= std::max<std::int64_t>(c, 1))) {
        o.ld = r == 1 ? std::max<std::int64_t>(c, 1) : sr;
        if (o.ld >= std::max<std::int64_t>(c, 1)) return o;
    }
    if ((r == 1 || sr == 1) && (c == 1 || sc >= std::max<std::int64_t>(r, 1))) {
        o.trans = true;
        o.ld = c == 1 ? std::max<std::int64_t>(r, 1) : sc;
        return o;
    }
    scratch = new (room) Scratch(tape, t->bytes());
    copy_to_contiguous(t, scratch->as<void>(), t->dtype);
    o.p = scratch->as<T>();
    o.trans = false;
    o.ld = std::max<std::int64_t>(c, 1);
    o.batch = nd == 3 && t->sizes[0] != 1 ? r * c : 0;
    return o;
}

// A scratch copy that may or may not be needed, destroyed with the scope.
struct MaybeScratch {
    alignas(Scratch) unsigned char room[sizeof(Scratch)];
    Scratch* s = nullptr;
    MaybeScratch() = default;
    MaybeScratch(const MaybeScratch&) = delete;
    MaybeScratch& operator=(const MaybeScratch&) = delete;
    ~MaybeScratch() {
        if (s != nullptr) s->~Scratch();
    }
};

template <class T> Operand<T> operand(Tape& tape, const TensorImpl* t, MaybeScratch& ms) {
    return operand<T>(tape, t, ms.s, ms.room);
}

// The same operand, transposed (its matrices read as cols x rows).
template <class T> Operand<T> transposed(Operand<T> o) {
    o.trans = !o.trans;
    std::swap(o.rows, o.cols);
    return o;
}

// C[q] = (or +=) A[q] B[q] for q < batches; C is contiguous with batch stride c_batch (0: every
// product adds into one matrix, in batch order). Folds the batch into the rows of one product
// when A's matrices are stacked rows of one matrix and B is shared.
template <class T>
void batched(std::int64_t batches, const Operand<T>& a, const Operand<T>& b, T beta, T* c, std::int64_t c_batch) {
    const std::int64_t m = a.rows, k = a.cols, n = b.cols;
    if (m == 0 || n == 0) return;
    if (k == 0) {
        if (beta == T(0))
            for (std::int64_t q = 0; q < (c_batch == 0 ? 1 : batches); ++q)
                std::fill(c + q * c_batch, c + q * c_batch + m * n, T(0));
        return;
    }
    if (batches > 1 && b.batch == 0 && !a.trans && a.batch == m * a.ld && c_batch == m * n) {
        gemm(false, b.trans, batches * m, n, k, a.p, a.ld, b.p, b.ld, beta, c, n);
        return;
    }
    for (std::int64_t q = 0; q < batches; ++q) {
        const T bq = (c_batch == 0 && q > 0) ? T(1) : beta;
        gemm(a.trans, b.trans, m, n, k, a.p + q * a.batch, a.ld, b.p + q * b.batch, b.ld, bq, c + q * c_batch, n);
    }
}

struct Matmul : OpData<2> {
    std::int64_t batches;

    // dA = dC B^T, dB = A^T dC, each summed over the batch it was broadcast over.
    void grads(const Tensor& gy, std::span<Tensor> gx, std::span<const char> want) const {
        const Tensor a = handle_of(in[0]), b = handle_of(in[1]);
        const auto mt = [](const Tensor& t) { return t.transpose(t.dim() - 2, t.dim() - 1); };
        if (want[0] != 0) gx[0] = sum_to_shape(gy.matmul(mt(b)), in[0]->shape());
        if (want[1] != 0) gx[1] = sum_to_shape(mt(a).matmul(gy), in[1]->shape());
    }

    template <class T> void backward(const T* gy, T* ga, T* gb) const {
        const TensorImpl* a = in[0];
        const TensorImpl* b = in[1];
        Tape& tape = *out->tape;
        const std::int64_t m = out->sizes[out->ndim - 2], n = out->sizes[out->ndim - 1];
        Operand<T> gc;
        gc.p = gy;
        gc.ld = std::max<std::int64_t>(n, 1);
        gc.batch = batches > 1 ? m * n : 0;
        gc.rows = m;
        gc.cols = n;
        // A grad's batch stride: 0 for an operand the batch shared (the products add up).
        const auto stride_of = [](const TensorImpl* t) -> std::int64_t {
            return t->ndim == 3 && t->sizes[0] != 1 ? t->sizes[1] * t->sizes[2] : 0;
        };
        if (ga != nullptr) {  // dA += dC B^T
            MaybeScratch sb;
            const Operand<T> bt = transposed(operand<T>(tape, b, sb));
            batched<T>(batches, gc, bt, T(1), ga, stride_of(a));
        }
        if (gb != nullptr) {  // dB += A^T dC
            MaybeScratch sa;
            const Operand<T> ao = operand<T>(tape, a, sa);
            const std::int64_t gb_batch = stride_of(b);
            if (gb_batch == 0 && batches > 1 && !ao.trans && ao.batch == ao.rows * ao.ld) {
                // B was shared by the batch: one product over the stacked rows of A and dC.
                gemm(true, false, ao.cols, n, batches * ao.rows, ao.p, ao.ld, gc.p, gc.ld, T(1), gb, n);
            } else {
                batched<T>(batches, transposed(ao), gc, T(1), gb, gb_batch);
            }
        }
    }
};

Tensor matmul_nd(const Tensor& x, const Tensor& z) {
    constexpr const char* op = "matmul";
    Tensor a = x, b = z;
    promote(a, b, op);
    const TensorImpl* ai = impl_of(a, op);
    const TensorImpl* bi = impl_of(b, op);
    const auto dims_error = [&](const std::string& what) {
        tensor_error(op, what + ": " + shape_str(ai) + " x " + shape_str(bi));
    };
    if (ai->ndim < 1 || bi->ndim < 1 || ai->ndim > 3 || bi->ndim > 3) dims_error("operands must have 1, 2 or 3 dims");
    if (ai->ndim == 1 && bi->ndim == 1) return matmul_nd(a.unsqueeze(0), b.unsqueeze(1)).reshape({});
    if (ai->ndim == 1) return matmul_nd(a.unsqueeze(0), b).squeeze(-2);
    if (bi->ndim == 1) return matmul_nd(a, b.unsqueeze(1)).squeeze(-1);
    const std::int64_t m = ai->sizes[ai->ndim - 2], k = ai->sizes[ai->ndim - 1];
    const std::int64_t k2 = bi->sizes[bi->ndim - 2], n = bi->sizes[bi->ndim - 1];
    if (k != k2) dims_error("inner dimensions differ");
    const std::int64_t ba = ai->ndim == 3 ? ai->sizes[0] : 1, bb = bi->ndim == 3 ? bi->sizes[0] : 1;
    if (ba != bb && ba != 1 && bb != 1) dims_error("batch sizes differ");
    const std::int64_t batches = std::max(ba, bb);
    Shape shape;
    if (ai->ndim == 3 || bi->ndim == 3) shape.push_back(batches);
    shape.push_back(m);
    shape.push_back(n);
    OpRecorder rec(op, a, b);
    TensorImpl* out = rec.result(ai->dtype, shape);
    num_threads();  // applies TAPEGRAD_NUM_THREADS to the BLAS before its first use
    dispatch(out->dtype, [&]<class T>() {
        MaybeScratch sa, sb;
        const Operand<T> ao = operand<T>(rec.tape(), ai, sa), bo = operand<T>(rec.tape(), bi, sb);
        batched<T>(batches, ao, bo, T(0), out->ptr<T>(), m * n);
    });
    return rec.finish<Matmul>(out, batches);
}

}  // namespace
}  // namespace tapegrad::detail

namespace tapegrad {

Tensor matmul(const Tensor& a, const Tensor& b) { return detail::matmul_nd(a, b); }
Tensor Tensor::matmul(const Tensor& other) const { return detail::matmul_nd(*this, other); }

}  // namespace tapegrad
