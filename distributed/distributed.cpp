// Context, shard, and the collectives on parameters and tensors.
#include <mpi.h>

#include <algorithm>
#include <cstring>
#include <string>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "detail.hpp"
#include "tapegrad/detail/tensor_impl.hpp"
#include "tapegrad/error.hpp"
#include "tapegrad/log.hpp"

namespace tapegrad::dist {

namespace detail {

MPI_Comm comm_of(const Context& ctx) { return *static_cast<MPI_Comm*>(ctx.native_handle()); }

void check_mpi(int rc, const char* op) {
    if (rc == MPI_SUCCESS) [[likely]]
        return;
    char reason[MPI_MAX_ERROR_STRING];
    int length = 0;
    MPI_Error_string(rc, reason, &length);
    throw Error(fmt::format("{}: MPI failed: {}", op, std::string(reason, static_cast<std::size_t>(length))));
}

MPI_Datatype mpi_type(DType dtype) { return dtype == DType::f32 ? MPI_FLOAT : MPI_DOUBLE; }

std::vector<ParamDesc> describe(const std::vector<Tensor>& params, const char* op) {
    std::vector<ParamDesc> out(params.size());
    for (std::size_t i = 0; i < params.size(); ++i) {
        const tapegrad::detail::TensorImpl* t = tapegrad::detail::impl_of(params[i], op);
        if (!t->leaf || !t->contiguous())
            throw Error(
                fmt::format("{}: parameter {} is not a contiguous leaf tensor (shape {})", op, i, t->shape().str()));
        out[i].dtype = static_cast<std::int64_t>(t->dtype);
        out[i].ndim = t->ndim;
        for (int d = 0; d < t->ndim; ++d) out[i].sizes[d] = t->sizes[d];
    }
    return out;
}

namespace {
std::string desc_str(const ParamDesc& d) {
    Shape s;
    for (int k = 0; k < d.ndim; ++k) s.push_back(d.sizes[k]);
    return fmt::format("{} {}", dtype_name(static_cast<DType>(d.dtype)), s.str());
}
const char* kind_name(std::int64_t kind) {
    return kind == static_cast<std::int64_t>(Kind::tensor) ? "tensor" : "scalar Value";
}
}  // namespace

void check_same_params(const char* op, Kind kind, const std::vector<ParamDesc>& mine, const Context& ctx) {
    const MPI_Comm comm = comm_of(ctx);
    const int n = ctx.size();
    const std::int64_t head[2] = {static_cast<std::int64_t>(kind), static_cast<std::int64_t>(mine.size())};
    std::vector<std::int64_t> heads(2 * static_cast<std::size_t>(n));
    check_mpi(MPI_Allgather(head, 2, MPI_INT64_T, heads.data(), 2, MPI_INT64_T, comm), op);
    bool same = true;
    for (int r = 1; r < n; ++r) same = same && heads[2 * r] == heads[0] && heads[2 * r + 1] == heads[1];
    if (!same) {
        std::string what;
        for (int r = 0; r < n; ++r)
            what += fmt::format("{}rank {} has {} {} parameters", r == 0 ? "" : ", ", r, heads[2 * r + 1],
                                kind_name(heads[2 * r]));
        throw Error(fmt::format("{}: the model differs between ranks: {}", op, what));
    }
    if (kind == Kind::value || mine.empty()) return;  // scalars: the count is everything
    const std::size_t words = mine.size() * kDescWords;
    std::vector<std::int64_t> all(words * static_cast<std::size_t>(n));
    static_assert(sizeof(ParamDesc) == kDescWords * sizeof(std::int64_t));
    check_mpi(MPI_Allgather(mine.data(), static_cast<int>(words), MPI_INT64_T, all.data(), static_cast<int>(words),
                            MPI_INT64_T, comm),
              op);
    const auto* descs = reinterpret_cast<const ParamDesc*>(all.data());
    std::string what;
    int differences = 0;
    for (int r = 1; r < n; ++r)
        for (std::size_t i = 0; i < mine.size(); ++i) {
            const ParamDesc& a = descs[i];
            const ParamDesc& b = descs[static_cast<std::size_t>(r) * mine.size() + i];
            if (std::memcmp(&a, &b, sizeof a) == 0) continue;
            if (differences++ < 4)
                what += fmt::format("{}parameter {}: rank 0 has {}, rank {} has {}", what.empty() ? "" : "; ", i,
                                    desc_str(a), r, desc_str(b));
        }
    if (differences > 4) what += fmt::format("; and {} more", differences - 4);
    if (differences > 0) throw Error(fmt::format("{}: the model differs between ranks: {}", op, what));
}

}  // namespace detail

Context::Context(int& argc, char**& argv) : impl_(std::make_unique<Impl>()) {
    int initialized = 0, finalized = 0;
    MPI_Initialized(&initialized);
    MPI_Finalized(&finalized);
    if (finalized) throw Error("dist::Context: MPI was already finalized");
    if (!initialized) {
        int provided = 0;
        detail::check_mpi(MPI_Init_thread(&argc, &argv, MPI_THREAD_SERIALIZED, &provided), "dist::Context");
        owns_ = true;
    }
    detail::check_mpi(MPI_Comm_dup(MPI_COMM_WORLD, &impl_->comm), "dist::Context");
    MPI_Comm_set_errhandler(impl_->comm, MPI_ERRORS_RETURN);
    MPI_Comm_rank(impl_->comm, &rank_);
    MPI_Comm_size(impl_->comm, &size_);
    logger().debug("dist: rank {} of {} ({} MPI)", rank_, size_, owns_ ? "initialised" : "adopted");
}

Context::Context()
    : Context(
          *[] {
              static int argc = 0;
              return &argc;
          }(),
          *[] {
              static char** argv = nullptr;
              return &argv;
          }()) {}

Context::~Context() {
    if (impl_->comm != MPI_COMM_NULL) MPI_Comm_free(&impl_->comm);
    if (owns_) MPI_Finalize();
}

void* Context::native_handle() const { return &impl_->comm; }

void Context::barrier() const { detail::check_mpi(MPI_Barrier(impl_->comm), "dist::Context::barrier"); }

std::pair<std::size_t, std::size_t> shard(std::size_t n_items, int rank, int size) {
    if (size <= 0 || rank < 0 || rank >= size)
        throw Error(fmt::format("dist::shard: rank {} is not in [0, {})", rank, size));
    const auto r = static_cast<std::size_t>(rank), n = static_cast<std::size_t>(size);
    const std::size_t base = n_items / n, extra = n_items % n;
    const std::size_t begin = r * base + std::min(r, extra);
    return {begin, begin + base + (r < extra ? 1 : 0)};
}

std::pair<std::size_t, std::size_t> shard(std::size_t n_items, const Context& ctx) {
    return shard(n_items, ctx.rank(), ctx.size());
}

void broadcast_parameters(const std::vector<Tensor>& params, const Context& ctx) {
    const char* op = "dist::broadcast_parameters";
    detail::check_same_params(op, detail::Kind::tensor, detail::describe(params, op), ctx);
    for (const Tensor& p : params) {
        tapegrad::detail::TensorImpl* t = tapegrad::detail::impl_of(p, op);
        detail::check_mpi(
            MPI_Bcast(t->data, static_cast<int>(t->numel), detail::mpi_type(t->dtype), 0, detail::comm_of(ctx)), op);
    }
}

void broadcast_parameters(const std::vector<Value>& params, const Context& ctx) {
    const char* op = "dist::broadcast_parameters";
    for (std::size_t i = 0; i < params.size(); ++i)
        if (!params[i].is_parameter())
            throw Error(fmt::format("{}: value {} is not a parameter (Value::parameter)", op, i));
    detail::check_same_params(op, detail::Kind::value, std::vector<detail::ParamDesc>(params.size()), ctx);
    std::vector<double> values(params.size());
    for (std::size_t i = 0; i < params.size(); ++i) values[i] = params[i].data();
    detail::check_mpi(MPI_Bcast(values.data(), static_cast<int>(values.size()), MPI_DOUBLE, 0, detail::comm_of(ctx)),
                      op);
    for (std::size_t i = 0; i < params.size(); ++i) Value(params[i]).set_data(values[i]);  // a copy of the handle
}

namespace {
tapegrad::detail::TensorImpl* checked_buffer(Tensor& tensor, const Context& ctx, const char* op) {
    tapegrad::detail::TensorImpl* t = tapegrad::detail::impl_of(tensor, op);
    if (t->tape != nullptr || !t->contiguous())
        throw Error(fmt::format("{}: the tensor must be a contiguous leaf (shape {})", op, t->shape().str()));
    detail::ParamDesc d;
    d.dtype = static_cast<std::int64_t>(t->dtype);
    d.ndim = t->ndim;
    for (int k = 0; k < t->ndim; ++k) d.sizes[k] = t->sizes[k];
    detail::check_same_params(op, detail::Kind::tensor, {d}, ctx);
    return t;
}
}  // namespace

void all_reduce(Tensor& tensor, const Context& ctx, Reduce reduce) {
    const char* op = "dist::all_reduce";
    tapegrad::detail::TensorImpl* t = checked_buffer(tensor, ctx, op);
    detail::check_mpi(MPI_Allreduce(MPI_IN_PLACE, t->data, static_cast<int>(t->numel), detail::mpi_type(t->dtype),
                                    MPI_SUM, detail::comm_of(ctx)),
                      op);
    if (reduce == Reduce::mean)
        tapegrad::detail::dispatch(t->dtype, [&]<class T>() {
            T* x = t->ptr<T>();
            const T n = static_cast<T>(ctx.size());
            for (std::int64_t i = 0; i < t->numel; ++i) x[i] /= n;
        });
}

void broadcast(Tensor& tensor, const Context& ctx, int root) {
    const char* op = "dist::broadcast";
    if (root < 0 || root >= ctx.size())
        throw Error(fmt::format("{}: root {} is not a rank in [0, {})", op, root, ctx.size()));
    tapegrad::detail::TensorImpl* t = checked_buffer(tensor, ctx, op);
    detail::check_mpi(
        MPI_Bcast(t->data, static_cast<int>(t->numel), detail::mpi_type(t->dtype), root, detail::comm_of(ctx)), op);
}

}  // namespace tapegrad::dist
