// Random DAGs of every scalar op against central differences in float64. 2,000 seeded graphs in
// the regular run; TAPEGRAD_RANDOM_GRAPHS=100000 runs more.
#include <cstdlib>
#include <string>

#include <doctest/doctest.h>

#include "check_gradients.hpp"
#include "random_graph.hpp"

using tapegrad::Value;
using tapegrad::test::RandomGraph;

TEST_CASE("random scalar graphs match central differences") {
    const std::size_t n = tapegrad::test::graphs_to_check();
    double worst = 0.0;
    std::size_t ops = 0, max_len = 0, checked = 0, unsound = 0;
    for (std::uint64_t seed = 1; checked < n && seed <= 2 * n; ++seed) {
        const RandomGraph g = tapegrad::test::make_random_graph(seed);
        const auto r = tapegrad::testing::gradcheck(
            [&](const std::vector<Value>& x) { return tapegrad::test::run(g, x); }, g.inputs);
        // Where the two finite-difference estimates disagree, the reference cannot judge the
        // engine (a kink within reach of the stencil): count such graphs, they must stay rare.
        if (r.spread >= tapegrad::test::kGradTolerance) {
            ++unsound;
            continue;
        }
        ++checked;
        ops += g.program.size();
        max_len = std::max(max_len, g.program.size());
        worst = std::max(worst, r.error);
        if (r.error >= tapegrad::test::kGradTolerance) {
            CAPTURE(seed);
            CAPTURE(r.error);
            CHECK(r.error < tapegrad::test::kGradTolerance);
        }
    }
    MESSAGE("random graphs: " << checked << " checked (" << unsound << " skipped: unsound reference), " << ops
                              << " ops, longest " << max_len << ", largest relative error " << worst);
    CHECK(checked == n);
    CHECK(unsound * 100 < n);  // under 1% of the graphs drawn
    CHECK(worst < tapegrad::test::kGradTolerance);
}
