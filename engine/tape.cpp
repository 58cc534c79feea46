// The tape's bookkeeping and the reverse sweep.
#include "tapegrad/tape.hpp"

#include <spdlog/spdlog.h>

#include "tapegrad/log.hpp"

namespace tapegrad {

namespace {
// 2 MiB of nodes and 2 MiB of edges a chunk: large enough that the chunk switch is rare,
// small enough that a short tape does not hold much.
constexpr std::size_t kNodesPerChunk = (2u << 20) / sizeof(detail::Node);
constexpr std::size_t kEdgesPerChunk = (2u << 20) / sizeof(detail::Edge);
}  // namespace

Tape::Tape() : nodes_(kNodesPerChunk), edges_(kEdgesPerChunk) {}
Tape::~Tape() = default;

Tape& Tape::current() {
    thread_local Tape tape;
    return tape;
}

void Tape::clear() {
    logger().trace("tape clear: {} nodes, {} edges, generation {}", size(), edge_count(), generation_);
    nodes_.rewind();
    edges_.rewind();
    ++generation_;
    swept_ = false;
}

void Tape::release_memory() {
    clear();
    nodes_.release();
    edges_.release();
}

void Tape::zero_grad() {
    for (std::size_t c = 0; c < nodes_.chunks_in_use(); ++c) {
        detail::Node* chunk = nodes_.chunk_data(c);
        for (std::size_t i = 0, n = nodes_.used_in(c); i < n; ++i) chunk[i].grad = 0.0;
    }
}

std::size_t Tape::bytes_used() const {
    return size() * sizeof(detail::Node) + edge_count() * sizeof(detail::Edge);
}

std::size_t Tape::bytes_reserved() const {
    return nodes_.capacity() * sizeof(detail::Node) + edges_.capacity() * sizeof(detail::Edge);
}

void Tape::backward(detail::Node* root, double seed) {
    const std::size_t root_chunk = nodes_.find(root);
    if (root_chunk == detail::Chunks<detail::Node>::npos) [[unlikely]]
        throw Error("backward: the value is not on this tape");

    // A previous sweep left grads in interior nodes; start them from zero so that this sweep
    // adds exactly d root / d leaf into the leaves (leaf and parameter grads accumulate).
    if (swept_) {
        for (std::size_t c = 0; c <= root_chunk; ++c) {
            detail::Node* chunk = nodes_.chunk_data(c);
            const std::size_t n = c == root_chunk ? static_cast<std::size_t>(root - chunk) + 1 : nodes_.used_in(c);
            for (std::size_t i = 0; i < n; ++i)
                if (chunk[i].n_edges != 0) chunk[i].grad = 0.0;
        }
    }
    swept_ = true;
    root->grad += seed;

    // The reverse sweep. Nodes with a zero grad pass nothing on, so they are skipped.
    for (std::size_t c = root_chunk + 1; c-- > 0;) {
        const detail::Node* chunk = nodes_.chunk_data(c);
        const std::size_t n = c == root_chunk ? static_cast<std::size_t>(root - chunk) + 1 : nodes_.used_in(c);
        for (std::size_t i = n; i-- > 0;) {
            const double g = chunk[i].grad;
            if (g == 0.0) continue;
            const detail::Edge* e = chunk[i].edges;
            for (std::uint32_t k = 0; k < chunk[i].n_edges; ++k) *e[k].parent_grad += e[k].partial * g;
        }
    }
}

NoGrad::NoGrad() : tape_(Tape::current()), was_enabled_(tape_.grad_enabled_) { tape_.grad_enabled_ = false; }
NoGrad::~NoGrad() { tape_.grad_enabled_ = was_enabled_; }

}  // namespace tapegrad
