// The walk over mixed Value/Tensor graphs (grad_mixed.hpp). At a scalar node the adjoint goes to
// the parents through the node's partials (the recorded ones; with create_graph, rebuilt as
// Values as the scalar create_graph sweep does). At a tensor op's entry the op's rule runs, as in
// the tensor walk. The two kinds meet at two entries:
//
//   from_values: each Value's adjoint gets the result's adjoint's element (Tensor::element, so
//                differentiable again);
//   element:     the tensor's adjoint gets a one-hot tensor times the Value's adjoint (made a
//                0-d tensor by from_values): zero but at the element.
#include "grad_mixed.hpp"

#include <optional>
#include <string>

#include "tape_internals.hpp"
#include "tapegrad/detail/values_entries.hpp"

namespace tapegrad::detail {

namespace {

using V = ValueAccess;

Value times(const Value& g, double p) { return p == 1.0 ? g : g * p; }

// A constant tensor of t's shape and type: 1 at the element `flat` (contiguous order), 0 elsewhere.
Tensor one_hot(const TensorImpl& t, std::int64_t flat) {
    std::vector<double> v(static_cast<std::size_t>(t.numel), 0.0);
    v[static_cast<std::size_t>(flat)] = 1.0;
    return Tensor::from(v, t.shape(), t.dtype);
}

}  // namespace

MixedWalk::MixedWalk(Tape& tape, std::size_t node_end, bool create_graph)
    : tape_(tape), create_graph_(create_graph), slots_(TapeInternals::nodes(tape), node_end) {}

void MixedWalk::add(std::size_t slot, const Value& term) {
    if (slot >= node_grads_.size()) node_grads_.resize(slots_.count());
    Value& g = node_grads_[slot];
    g = g.valid() ? g + term : term;
}

void MixedWalk::add(const TensorImpl* t, const Tensor& term) {
    const auto [at, fresh] = tensor_grads_.try_emplace(t, term);
    if (!fresh) at->second = at->second + term;
}

Value MixedWalk::adjoint(const Node* node) {
    const std::size_t s = slots_.slot(node);
    return s < node_grads_.size() ? node_grads_[s] : Value();
}

void MixedWalk::run(std::size_t node_low, std::size_t entry_begin, std::size_t entry_end) {
    HigherOrderCursor log(TapeInternals::higher_order_log(tape_));  // before the guard below opens
    const CurrentTape current(tape_);
    std::optional<HigherOrder> higher_order;
    std::optional<NoGrad> no_grad;
    if (create_graph_) higher_order.emplace(tape_);
    else no_grad.emplace();
    const std::vector<Entry>& entries = TapeInternals::entries(tape_);
    std::size_t e = entry_end;
    // Node i, then the entries recorded just before it (at position i); an entry above the
    // last node comes first.
    for (std::size_t i = slots_.end() + 1; i-- > node_low;) {
        if (i < slots_.end()) visit_node(i, log);
        for (; e > entry_begin && entries[e - 1].position >= i; --e) visit_entry(e - 1);
    }
}

void MixedWalk::visit_node(std::size_t i, HigherOrderCursor& log) {
    if (i >= node_grads_.size() || !node_grads_[i].valid()) return;
    Node& node = *slots_.node(i);
    if (node.n_edges == 0) return;
    const Value g = node_grads_[i];
    const auto parent = [&](std::uint32_t k) { return parent_node(node, k); };
    if (create_graph_) {
        each_value_partial(
            tape_, slots_, i, node, log, rebuild_, [&](Node* p) { return slots_.slot(p); },
            [&](std::size_t s, Node* partial, double value) {
                add(s, partial != nullptr ? V::wrap(partial, &tape_) * g : times(g, value));
            });
        // A parent reached through a zero partial is still used: its adjoint is 0.
        for (std::uint32_t k = 0; k < node.n_edges; ++k) {
            const std::size_t s = slots_.slot(parent(k));
            if (s >= node_grads_.size() || !node_grads_[s].valid()) add(s, Value(tape_, 0.0));
        }
        return;
    }
    Edge made[3];
    const Edge* e = partials_of(node, made);
    for (std::uint32_t k = 0; k < node.n_edges; ++k) {
        // As backward: a zero adjoint passes nothing on (0 * inf is no contribution).
        add(slots_.slot(node_of_grad(e[k].parent_grad())),
            g.data() == 0.0 ? Value(tape_, 0.0) : times(g, e[k].partial));
    }
}

void MixedWalk::visit_entry(std::size_t k) {
    const Entry entry = TapeInternals::entries(tape_)[k];  // a copy: the walk's ops grow the entries
    if (entry.graph == nullptr)
        throw Error(std::string("grad: the graph may pass through '") + tape_.entry_name(k) + "' (entry " +
                    std::to_string(k) + "), which has no tensor grad rule: grad() cannot differentiate through it" +
                    (create_graph_ ? "" : "; backward() can"));
    ElementEntry element;
    if (read_element(entry, element)) {
        const Value g = adjoint(element.node);
        if (!g.valid()) return;
        const TensorImpl& t = *element.t;
        add(&t, one_hot(t, element.flat) * Tensor::from_values({g}, Shape{}, t.dtype));
        return;
    }
    FromValuesEntry from;
    if (read_from_values(entry, from)) {
        const auto found = tensor_grads_.find(from.out);
        if (found == tensor_grads_.end()) return;
        const Tensor gy = found->second.reshape(Shape{found->second.numel()});
        for (std::size_t j = 0; j < from.nodes.size(); ++j)
            add(slots_.slot(from.nodes[j]), gy.element({static_cast<std::int64_t>(j)}));
        return;
    }
    const auto found = tensor_grads_.find(entry.graph->output(entry.data));
    if (found == tensor_grads_.end()) return;
    const Tensor gy = found->second;
    const std::span<TensorImpl* const> ins = entry.graph->inputs(entry.data);
    std::vector<char> want(ins.size());
    for (std::size_t j = 0; j < ins.size(); ++j) want[j] = ins[j]->requires_grad;
    add_entry_grads(tape_, k, entry, gy, want, gx_, tensor_grads_, create_graph_);
}

}  // namespace tapegrad::detail
