// Cyclic Jacobi: rotate away the off-diagonal entries one pair at a time until they vanish.
#include "symmetric_eigen.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace tapegrad::cli {

SymmetricEigen symmetric_eigen(std::vector<std::vector<double>> a) {
    const std::size_t n = a.size();
    std::vector<std::vector<double>> v(n, std::vector<double>(n, 0.0));
    for (std::size_t i = 0; i < n; ++i) v[i][i] = 1.0;
    for (int sweep = 0; sweep < 100; ++sweep) {
        double off = 0.0, all = 0.0;
        for (std::size_t p = 0; p < n; ++p)
            for (std::size_t q = 0; q < n; ++q) (p == q ? all : off) += a[p][q] * a[p][q];
        if (off <= 1e-34 * (all + off)) break;  // off-diagonal below 1e-17 of the whole, relatively
        for (std::size_t p = 0; p < n; ++p)
            for (std::size_t q = p + 1; q < n; ++q) {
                if (a[p][q] == 0.0) continue;
                // The rotation that zeroes a[p][q] (Golub and Van Loan, 8.5.2).
                const double theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
                const double t = (theta >= 0 ? 1.0 : -1.0) / (std::fabs(theta) + std::sqrt(theta * theta + 1));
                const double c = 1 / std::sqrt(t * t + 1), s = t * c;
                for (std::size_t k = 0; k < n; ++k) {  // a <- a J
                    const double akp = a[k][p], akq = a[k][q];
                    a[k][p] = c * akp - s * akq;
                    a[k][q] = s * akp + c * akq;
                }
                for (std::size_t k = 0; k < n; ++k) {  // a <- J^T a
                    const double apk = a[p][k], aqk = a[q][k];
                    a[p][k] = c * apk - s * aqk;
                    a[q][k] = s * apk + c * aqk;
                }
                for (std::size_t k = 0; k < n; ++k) {  // v <- v J
                    const double vkp = v[k][p], vkq = v[k][q];
                    v[k][p] = c * vkp - s * vkq;
                    v[k][q] = s * vkp + c * vkq;
                }
            }
    }
    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](std::size_t i, std::size_t j) { return a[i][i] < a[j][j]; });
    SymmetricEigen out;
    for (std::size_t k : order) {
        out.values.push_back(a[k][k]);
        std::vector<double> column(n);
        for (std::size_t i = 0; i < n; ++i) column[i] = v[i][k];
        out.vectors.push_back(column);
    }
    return out;
}

}  // namespace tapegrad::cli
