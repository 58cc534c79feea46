// What the distributed sources share: the communicator, MPI error checks, parameter descriptions.
#pragma once

#include <mpi.h>

#include <chrono>
#include <cstdint>
#include <vector>

#include "tapegrad/distributed.hpp"

namespace tapegrad::dist {

struct Context::Impl {
    MPI_Comm comm = MPI_COMM_NULL;
};

namespace detail {

MPI_Comm comm_of(const Context& ctx);
using Clock = std::chrono::steady_clock;
inline double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Raises Error "op: MPI failed: <MPI's reason>" unless rc is MPI_SUCCESS.
void check_mpi(int rc, const char* op);
MPI_Datatype mpi_type(DType dtype);

// One parameter as the ranks compare them: dtype and shape (a Value is a float64 scalar).
struct ParamDesc {
    std::int64_t dtype = 0;
    std::int64_t ndim = 0;
    std::int64_t sizes[kMaxDims] = {};
};
inline constexpr int kDescWords = 2 + kMaxDims;
enum class Kind : std::int64_t { tensor = 1, value = 2 };

std::vector<ParamDesc> describe(const std::vector<Tensor>& params, const char* op);
// Raises Error on every rank, naming what differs, unless every rank passed the same kind,
// count and descriptions. A collective: every rank must call it.
void check_same_params(const char* op, Kind kind, const std::vector<ParamDesc>& mine, const Context& ctx);

}  // namespace detail
}  // namespace tapegrad::dist
