// save_checkpoint / load_checkpoint: model and optimizer state, written by rank 0, read by all.
#include <mpi.h>

#include <cstdint>
#include <string>

#include <fmt/format.h>

#include "detail.hpp"
#include "tapegrad/checkpoint.hpp"
#include "tapegrad/error.hpp"

namespace tapegrad::dist {

namespace {
bool optimizer_array(const SavedArray& a) {
    return a.name.rfind("optimizer.", 0) == 0 || a.name.rfind("sgd.", 0) == 0 || a.name.rfind("adam.", 0) == 0;
}
}  // namespace

void save_checkpoint(const nn::Module& model, const optim::Optimizer& opt, const std::string& path,
                     const Context& ctx) {
    const char* op = "dist::save_checkpoint";
    // Rank 0's outcome goes to every rank, so that a failed write is an Error everywhere.
    std::string error;
    if (ctx.rank() == 0) {
        try {
            Checkpoint arrays = model.state();
            for (SavedArray& a : opt.state()) arrays.push_back(std::move(a));
            save(arrays, path);
        } catch (const Error& e) {
            error = e.what();
        }
    }
    std::int64_t length = static_cast<std::int64_t>(error.size());
    detail::check_mpi(MPI_Bcast(&length, 1, MPI_INT64_T, 0, detail::comm_of(ctx)), op);
    error.resize(static_cast<std::size_t>(length));
    if (length > 0)
        detail::check_mpi(MPI_Bcast(error.data(), static_cast<int>(length), MPI_CHAR, 0, detail::comm_of(ctx)), op);
    if (!error.empty()) throw Error(fmt::format("{}: rank 0: {}", op, error));
}

void load_checkpoint(nn::Module& model, optim::Optimizer& opt, const std::string& path, const Context& ctx) {
    const char* op = "dist::load_checkpoint";
    std::string bytes, error;
    if (ctx.rank() == 0) {
        try {
            bytes = to_bytes(load(path));
        } catch (const Error& e) {
            error = e.what();
        }
    }
    // [ok, length]; then the bytes or the error message.
    std::int64_t head[2] = {error.empty() ? 1 : 0,
                            static_cast<std::int64_t>(error.empty() ? bytes.size() : error.size())};
    detail::check_mpi(MPI_Bcast(head, 2, MPI_INT64_T, 0, detail::comm_of(ctx)), op);
    std::string& payload = head[0] == 1 ? bytes : error;
    payload.resize(static_cast<std::size_t>(head[1]));
    detail::check_mpi(MPI_Bcast(payload.data(), static_cast<int>(head[1]), MPI_CHAR, 0, detail::comm_of(ctx)), op);
    if (head[0] == 0) throw Error(fmt::format("{}: rank 0: {}", op, error));
    const Checkpoint arrays = from_bytes(bytes);
    Checkpoint model_arrays;
    for (const SavedArray& a : arrays)
        if (!optimizer_array(a)) model_arrays.push_back(a);
    // Check both before changing either: load_state checks everything before it writes.
    const Checkpoint before = opt.state();
    opt.load_state(arrays);
    try {
        model.load_state(model_arrays);
    } catch (...) {
        opt.load_state(before);
        throw;
    }
}

}  // namespace tapegrad::dist
