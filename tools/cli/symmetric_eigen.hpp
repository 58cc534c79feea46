// Eigenvalues and eigenvectors of a small symmetric matrix (cyclic Jacobi rotations): for the
// article's 6x6 Hessian, its definiteness and a Newton step through its pseudo-inverse.
#pragma once

#include <vector>

namespace tapegrad::cli {

struct SymmetricEigen {
    std::vector<double> values;                // ascending
    std::vector<std::vector<double>> vectors;  // vectors[k] belongs to values[k], unit length
};

SymmetricEigen symmetric_eigen(std::vector<std::vector<double>> a);

}  // namespace tapegrad::cli
