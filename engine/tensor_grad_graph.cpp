// grad() for tensors: the reverse walk over the tape's entries from the output's, each op's rule
// (its grads member, detail/op_grads.hpp) run on tensors. Grads are kept per tensor in a map, so
// no tensor's grad buffer is touched. Without create_graph the walk runs under NoGrad; with it
// the rules' ops are recorded, and what they return is differentiable again.
//
// Before walking, one pass forward over the entries marks the tensors computed from the inputs:
// only entries whose result is one of those are differentiated, and only towards their inputs
// that are (so a frozen layer's weights get no grad computed). If that pass finds the inputs
// reaching the output through Values (Tensor::element, then Tensor::from_values), the walk over
// nodes and entries of grad_mixed.cpp takes over.
#include <optional>
#include <string>
#include <unordered_set>

#include "grad_mixed.hpp"
#include "tape_internals.hpp"
#include "tapegrad/detail/op_recorder.hpp"
#include "tapegrad/grad.hpp"
#include "tensor_entry_grads.hpp"

namespace tapegrad {

namespace detail {

Tensor sum_to_shape(Tensor g, const Shape& shape) {
    const int lead = g.dim() - shape.size();
    for (int d = 0; d < lead; ++d) g = g.sum(0);
    for (int d = 0; d < shape.size(); ++d)
        if (shape[d] == 1 && g.size(d) != 1) g = g.sum(d, true);
    return g;
}

namespace {

// A constant tensor (no gradient flows through it) of f applied to each element of x.
template <class F> Tensor constant_map(const Tensor& x, F f) {
    std::vector<double> v = x.to_vector();
    for (double& e : v) e = f(e);
    return Tensor::from(v, x.shape(), x.dtype());
}

[[noreturn]] void throw_modified(const Tape& tape, std::size_t entry, std::size_t input, const TensorImpl* t) {
    throw Error("grad: input " + std::to_string(input) + " of '" + tape.entry_name(entry) + "' (entry " +
                std::to_string(entry) + "), a leaf of shape " + shape_str(t) +
                " (or a view of one), was changed in place after the op read it: its derivatives would use the "
                "new values");
}

}  // namespace

void throw_no_tensor_rule(const Tape& tape, std::size_t entry, bool create_graph) {
    const std::string name = tape.entry_name(entry);
    throw Error("grad: '" + name + "' (entry " + std::to_string(entry) + ") has no tensor grad rule" +
                (create_graph ? " (no second derivative)" : "") + ": grad() cannot differentiate through it" +
                (create_graph ? "" : "; backward() can"));
}

void add_entry_grads(const Tape& tape, std::size_t k, const Entry& e, const Tensor& gy, std::span<const char> want,
                     std::vector<Tensor>& gx, TensorGrads& grads, bool create_graph) {
    if (e.graph->grads == nullptr) throw_no_tensor_rule(tape, k, create_graph);
    const std::span<TensorImpl* const> ins = e.graph->inputs(e.data);
    for (std::size_t j = 0; j < ins.size(); ++j)
        if (ins[j]->storage != nullptr && ins[j]->storage->modified_at > e.in_place_clock)
            throw_modified(tape, k, j, ins[j]);
    gx.assign(ins.size(), Tensor());
    e.graph->grads(e.data, gy, gx, want);
    for (std::size_t j = 0; j < ins.size(); ++j) {
        if (want[j] == 0 || !gx[j].defined()) continue;
        const auto [at, fresh] = grads.try_emplace(ins[j], gx[j]);
        if (!fresh) at->second = at->second + gx[j];
    }
}

}  // namespace detail

Tensor step(const Tensor& x) {
    return detail::constant_map(x, [](double v) { return ops::math::step(v); });
}
Tensor sign(const Tensor& x) {
    return detail::constant_map(x, [](double v) { return ops::math::sign(v); });
}
Tensor zero(const Tensor& x) { return Tensor::zeros(x.shape(), x.dtype()); }

std::vector<Tensor> grad(const Tensor& output, const std::vector<Tensor>& inputs, GradOptions options) {
    using detail::TensorImpl;
    TensorImpl* out = detail::impl_of(output, "grad (output)");
    std::vector<TensorImpl*> in(inputs.size());
    for (std::size_t k = 0; k < inputs.size(); ++k) {
        const std::string what = "grad (input " + std::to_string(k) + ")";
        in[k] = detail::impl_of(inputs[k], what.c_str());
        if (!in[k]->requires_grad)
            throw Error("grad: input " + std::to_string(k) + " (shape " + detail::shape_str(in[k]) +
                        ") does not require grad");
    }
    if (out->numel != 1) throw Error("grad: the output must have one element, got shape " + detail::shape_str(out));
    if (!out->requires_grad) throw Error("grad: the output does not require grad (no input requires grad)");
    Tape& tape = out->leaf ? Tape::current() : *output.tape();
    if (options.create_graph && !tape.grad_enabled())
        throw Error("grad: create_graph under NoGrad: the derivatives could not be recorded");

    // Record on the output's tape; without create_graph record nothing.
    const CurrentTape current(tape);
    std::optional<NoGrad> no_grad;
    if (!options.create_graph) no_grad.emplace();

    detail::TensorGrads grads;
    grads.emplace(out, Tensor::ones(output.shape(), output.dtype()));
    if (!out->leaf) {
        const std::vector<detail::Entry>& entries = detail::TapeInternals::entries(tape);
        const std::size_t root = out->entry;
        // The tensors computed from the inputs, and the entries that made them.
        // An entry with no tensor result (element) makes a Value: once one is made from such a
        // tensor, an entry with no tensor inputs (from_values) may bring it back.
        std::unordered_set<const TensorImpl*> leads(in.begin(), in.end());
        std::vector<char> relevant(root + 1, 0);
        std::size_t first = root + 1;      // the first relevant entry
        std::size_t first_hit = root + 1;  // the first entry that reads a lead, element included
        bool values_from_leads = false, through_values = false;
        for (std::size_t k = 0; k <= root; ++k) {
            const detail::Entry& e = entries[k];
            if (e.graph == nullptr) {
                if (first_hit <= root) detail::throw_no_tensor_rule(tape, k, options.create_graph);
                continue;
            }
            const std::span<TensorImpl* const> ins = e.graph->inputs(e.data);
            bool hit = ins.empty() && values_from_leads;
            for (const TensorImpl* t : ins) hit = hit || leads.contains(t);
            if (!hit) continue;
            if (first_hit > root) first_hit = k;
            const TensorImpl* made = e.graph->output(e.data);
            if (made == nullptr) {
                values_from_leads = true;
                continue;
            }
            through_values = through_values || ins.empty();
            relevant[k] = 1;
            leads.insert(made);
            if (first > root) first = k;
        }
        if (through_values) {
            detail::MixedWalk walk(tape, entries[root].position, options.create_graph);
            walk.seed(out, grads.at(out));
            walk.run(entries[first_hit].position, first_hit, root + 1);
            grads = std::move(walk.tensor_grads());
            first = root + 1;  // done
        }
        std::vector<char> want;
        std::vector<Tensor> gx;
        for (std::size_t k = root + 1; k-- > first;) {
            if (relevant[k] == 0) continue;
            const detail::Entry e = entries[k];  // a copy: the rule's ops may grow the entries
            const auto found = grads.find(e.graph->output(e.data));
            if (found == grads.end()) continue;
            const Tensor gy = found->second;
            const std::span<TensorImpl* const> ins = e.graph->inputs(e.data);
            want.assign(ins.size(), 0);
            for (std::size_t j = 0; j < ins.size(); ++j) want[j] = ins[j]->requires_grad && leads.contains(ins[j]);
            detail::add_entry_grads(tape, k, e, gy, want, gx, grads, options.create_graph);
        }
    }

    std::vector<Tensor> result(inputs.size());
    for (std::size_t k = 0; k < inputs.size(); ++k) {
        const auto found = grads.find(in[k]);
        if (found != grads.end()) result[k] = found->second;
        else if (!options.allow_unused)
            throw Error("grad: the output does not depend on input " + std::to_string(k) + " (shape " +
                        detail::shape_str(in[k]) + "); pass {.allow_unused = true} to get an empty Tensor for it");
    }
    return result;
}

}  // namespace tapegrad
