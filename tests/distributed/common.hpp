// Shared by the MPI tests: the process's Context, and comparisons across ranks.
#pragma once

#include <mpi.h>

#include <cstring>
#include <vector>

#include <tapegrad/distributed.hpp>

tapegrad::dist::Context& test_context();

inline MPI_Comm test_comm() { return *static_cast<MPI_Comm*>(test_context().native_handle()); }

// True on every rank if every rank holds exactly (bitwise) the same doubles.
inline bool same_on_every_rank(const std::vector<double>& mine) {
    std::vector<double> root = mine;
    MPI_Bcast(root.data(), static_cast<int>(root.size()), MPI_DOUBLE, 0, test_comm());
    int same = std::memcmp(root.data(), mine.data(), mine.size() * sizeof(double)) == 0 ? 1 : 0;
    MPI_Allreduce(MPI_IN_PLACE, &same, 1, MPI_INT, MPI_MIN, test_comm());
    return same == 1;
}
