// The node region: every Node (tape nodes and parameters) lives in one reserved range, and an
// edge names its parent's grad by a 32-bit slot there, which makes an edge 12 bytes.
#include <doctest/doctest.h>

#include <atomic>
#include <cmath>
#include <string>
#include <thread>
#include <vector>

#include <tapegrad/tapegrad.hpp>

#include "error_message.hpp"

using tapegrad::Tape;
using tapegrad::Value;
using tapegrad::detail::Node;
using V = tapegrad::detail::ValueAccess;
namespace detail = tapegrad::detail;

namespace {
bool in_region(const Node* node) {
    const char* p = reinterpret_cast<const char*>(node);
    return p >= detail::node_region_base && p < detail::node_region_base + detail::node_region_size();
}
}  // namespace

TEST_CASE("node region: leaves, op results and parameters live in it, and edges name their parents") {
    Tape tape;
    Value w = Value::parameter(0.9);
    Value x(tape, 0.5);
    Value y = x * w;
    for (const Value* v : {&w, &x, &y}) {
        Node* node = V::node(*v);
        CHECK(in_region(node));
        CHECK(detail::grad_at_slot(detail::slot_of_grad(&node->grad)) == &node->grad);
    }
    const Node* node = V::node(y);
    REQUIRE(node->n_edges == 2);
    // Partials copied out: a packed edge's partial may sit at a 4-byte boundary, and CHECK takes
    // its operands by reference.
    const double dx = node->edges[0].partial, dw = node->edges[1].partial;
    CHECK(node->edges[0].parent_grad() == &V::node(x)->grad);
    CHECK(dx == 0.9);  // d(x w)/dx = w
    CHECK(node->edges[1].parent_grad() == &V::node(w)->grad);
    CHECK(dw == 0.5);  // d(x w)/dw = x
    y.backward();
    CHECK(w.grad() == 0.5);
    CHECK(x.grad() == 0.9);
    Value::release_parameter(w);
}

TEST_CASE("node region: an edge is 12 bytes, and S1's step of three ops takes a node and one edge: 32 + 12 bytes") {
    static_assert(sizeof(detail::Edge) == 12);
    static_assert(sizeof(detail::Node) == 32);
    Tape tape;
    Value w(tape, 0.9), b(tape, 0.1), y(tape, 0.5);
    const std::size_t leaves = tape.bytes_used();
    CHECK(leaves == 3 * 32);
    constexpr int steps = 1000;
    for (int i = 0; i < steps; ++i) y = (y * w + b).tanh();  // fused: one product node, three slots
    CHECK(tape.op_count() == 3 + 3 * steps);
    CHECK(tape.node_count() == 3 + steps);
    CHECK(tape.bytes_used() - leaves == steps * (32 + 12));
    // And the gradient is the chain's: y_{i+1} = tanh(u_i), u_i = y_i w + b.
    y.backward();
    double yv = 0.5, dy_dw = 0.0, dy_dy0 = 1.0;
    std::vector<double> ys{yv};
    for (int i = 0; i < steps; ++i) ys.push_back(yv = std::tanh(yv * 0.9 + 0.1));
    for (int i = steps; i-- > 0;) {  // backwards: adjoint of y_i is dy_dy0 at the end
        const double d = 1.0 - ys[static_cast<std::size_t>(i) + 1] * ys[static_cast<std::size_t>(i) + 1];
        dy_dw += dy_dy0 * d * ys[static_cast<std::size_t>(i)];
        dy_dy0 *= d * 0.9;
    }
    CHECK(y.data() == yv);
    CHECK(w.grad() == doctest::Approx(dy_dw).epsilon(1e-12));
}

TEST_CASE("node region: blocks are handed out, returned and reused") {
    const std::size_t before = detail::node_region_in_use();
    void* a = detail::node_region_allocate(1 << 20);
    CHECK(detail::node_region_in_use() == before + (1 << 20));
    auto* d = static_cast<double*>(a);
    d[0] = 1.0;
    d[(1 << 17) - 1] = 2.0;  // the whole block is writable
    CHECK(d[0] + d[(1 << 17) - 1] == 3.0);
    detail::node_region_free(a);
    CHECK(detail::node_region_in_use() == before);
    void* again = detail::node_region_allocate(1 << 20);
    CHECK(again == a);  // first fit takes the block back
    detail::node_region_free(again);

    // A tape's chunks come back when it releases its memory.
    Tape tape;
    Value y(tape, 0.5);
    for (int i = 0; i < 200000; ++i) y = y * 0.5 + 0.25;
    CHECK(detail::node_region_in_use() > before);
    tape.release_memory();
    CHECK(detail::node_region_in_use() == before);
}

TEST_CASE("node region: a request past its end raises Error, and recording goes on") {
    tapegrad::test::check_error([] { detail::node_region_allocate(detail::node_region_size() + 1); },
                                {"tape: out of node memory", "bytes asked for", "MiB in use"});
    Tape tape;
    Value x(tape, 2.0);
    Value y = x * x;
    y.backward();
    CHECK(x.grad() == 4.0);
}

TEST_CASE("node region: threads record and release tapes at once (thread)") {
    Value w = Value::parameter(0.75);
    std::atomic<int> wrong{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&wrong, w, t] {
            for (int round = 0; round < 3; ++round) {
                Tape tape;
                Value x(tape, 1.0 + t);
                Value y = x;
                for (int i = 0; i < 100000; ++i) y = y * 0.5 + x;  // several node chunks per tape
                y.backward();
                // y_n = 0.5 y_{n-1} + x with y_0 = x: dy/dx = 2 - 0.5^n, 2 once 0.5^n rounds away.
                if (x.grad() != 2.0) ++wrong;
                Value z = x * w;  // a parameter shared by the threads, read only
                if (z.data() != 0.75 * (1.0 + t)) ++wrong;
                tape.release_memory();
            }
        });
    for (std::thread& th : threads) th.join();
    CHECK(wrong == 0);
    Value::release_parameter(w);
}
