// tapegrad article --hessian: the Hessian of the article's loss (checked by hand in
// test_derivatives.cpp) as printed, its eigenvalues, and the two steps.
#include "cli_run.hpp"
#ifdef TAPEGRAD_CLI_PATH
#include <string>
#include <vector>

#include <fmt/format.h>

#include <tapegrad/tapegrad.hpp>

TEST_CASE(
    "tapegrad article --hessian prints the 6x6 Hessian, its eigenvalues, and a Newton step beside the gradient step") {
    const Run r = run("article --hessian");
    CHECK(r.status == 0);
    const std::string& out = r.out;
    CHECK(out.find("Forward pass") != std::string::npos);  // the article's report comes first
    CHECK(out.find("Hessian of the loss in the six weights") != std::string::npos);
    const auto loss = [](const std::vector<tapegrad::Value>& w) {
        const tapegrad::Value y3 = (w[0] * 0.35 + w[1] * 0.7).sigmoid(), y4 = (w[2] * 0.35 + w[3] * 0.7).sigmoid();
        return 0.5 * ((w[4] * y3 + w[5] * y4).sigmoid() - 0.5).pow(2);
    };
    const std::vector<std::vector<double>> h = tapegrad::hessian(loss, {0.2, 0.2, 0.3, 0.3, 0.3, 0.9});
    std::string row = "  v1  ";
    for (double x : h[4]) row += fmt::format(" {:>12.5e}", x);
    CHECK(out.find(row + "\n") != std::string::npos);
    CHECK(out.find("Eigenvalues: -7.3378e-03 -4.4644e-03") != std::string::npos);
    CHECK(out.find("  w1,1     0.200000         0.199045        -0.284543\n") != std::string::npos);
    CHECK(out.find("  loss     0.013625         0.012729         0.001364\n") != std::string::npos);
    CHECK(run("article --help").out.find("--hessian") != std::string::npos);
}
#endif
