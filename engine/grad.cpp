// grad(): checks the handles, plans the sweep from the output, runs the first-order or the
// create_graph sweep (or, if tensor entries lie between the inputs and the output, the walk of
// grad_mixed.cpp), and hands each input its derivative as a Value.
#include "tapegrad/grad.hpp"

#include <string>

#include "grad_mixed.hpp"
#include "grad_sweep.hpp"
#include "tape_internals.hpp"
#include "tapegrad/detail/op_table.hpp"

namespace tapegrad {

namespace detail {

SweepScratch& sweep_scratch() {
    thread_local SweepScratch scratch;
    return scratch;
}

SweepPlan::SweepPlan(Tape& tape, Node* root, const std::vector<Value>& inputs)
    : tape_(tape), root_(TapeInternals::index_of(tape, root)), slots_(TapeInternals::nodes(tape), root_ + 1),
      flags_(sweep_scratch().flags) {
    tape.check_products_current("grad");
    flags_.assign(root_ + 1, 0);
    std::size_t floor = root_ + 1;  // the lowest input: the sweep need not go below it
    for (const Value& input : inputs) {
        std::size_t s = kNotOnTape;
        if (input.tape() == nullptr) {
            s = slot(ValueAccess::node(input));
            all_on_tape_ = false;  // a parameter: any node may use it
        } else if (input.tape() == &tape) {
            s = TapeInternals::index_of(tape, ValueAccess::node(input));
            if (s > root_) s = kNotOnTape;  // recorded after the root: not reached
        }
        input_slots_.push_back(s);
        if (s == kNotOnTape) continue;
        flags_[s] |= kInput;
        if (!slots_.is_parameter(s) && s < floor) floor = s;
    }
    floor_ = all_on_tape_ ? floor : 0;
    // Tensor entries between the inputs and the root: the walk of grad_mixed.cpp follows them.
    const std::vector<Entry>& entries = TapeInternals::entries(tape);
    for (std::size_t k = 0; k < entries.size() && entries[k].position <= root_; ++k) {
        if (entries[k].position <= floor_ && all_on_tape_) entry_begin_ = k + 1;
        entry_end_ = k + 1;
    }
}

void SweepPlan::mark_nodes_with_partials() {
    for (std::size_t i = floor_; i <= root_; ++i)
        if (slots_.node(i)->n_edges != 0) flags_[i] |= kHasPartials;
}

std::vector<bool> SweepPlan::reached_inputs() {
    flags_[root_] |= kReached;
    std::size_t lowest = root_;
    for (std::size_t i = root_ + 1; i-- > floor_ && i >= lowest;) {
        if ((flags_[i] & kReached) == 0) continue;
        if (last_needed(i)) break;
        const Node& node = *slots_.node(i);
        Edge made[3];
        const Edge* e = partials_of(node, made);
        for (std::uint32_t k = 0; k < node.n_edges; ++k) {
            const std::size_t s = slot(node_of_grad(e[k].parent_grad()));
            flags_[s] |= kReached;
            if (s < lowest) lowest = s;
        }
    }
    std::vector<bool> out;
    for (std::size_t s : input_slots_) out.push_back(s != kNotOnTape && (flags_[s] & kReached) != 0);
    return out;
}

}  // namespace detail

namespace {

using detail::SweepPlan;
using V = detail::ValueAccess;

void check_handles(const Value& output, const std::vector<Value>& inputs) {
    V::check(output, "grad (output)");
    for (std::size_t k = 0; k < inputs.size(); ++k)
        V::check(inputs[k], ("grad (input " + std::to_string(k) + ")").c_str());
}

[[noreturn]] void throw_unused(std::size_t k, const Value& input) {
    throw Error("grad: the output does not depend on input " + std::to_string(k) + " (data " +
                std::to_string(input.data()) +
                (input.is_parameter() ? ", a parameter" : ", '" + std::string(input.op()) + "'") +
                "); pass {.allow_unused = true} to get an empty Value for it");
}

// A parameter output: d p / d p = 1, and it depends on nothing else.
std::vector<Value> grad_of_parameter(const Value& output, const std::vector<Value>& inputs, GradOptions options) {
    std::vector<Value> out(inputs.size());
    for (std::size_t k = 0; k < inputs.size(); ++k) {
        if (V::node(inputs[k]) == V::node(output)) out[k] = Value(1.0);
        else if (!options.allow_unused) throw_unused(k, inputs[k]);
    }
    return out;
}

// The walk of grad_mixed.cpp over the nodes and entries between the inputs and the output.
std::vector<Value> grad_through_entries(SweepPlan& plan, const Value& output, const std::vector<Value>& inputs,
                                        GradOptions options) {
    Tape& tape = plan.tape();
    detail::MixedWalk walk(tape, plan.root() + 1, options.create_graph);
    walk.seed(V::node(output), Value(tape, 1.0));
    // The lowest input's adjoint is complete once the nodes above it are done (as last_needed).
    walk.run(plan.all_on_tape() ? plan.floor() + 1 : 0, plan.entry_begin(), plan.entry_end());
    std::vector<Value> out(inputs.size());
    for (std::size_t k = 0; k < inputs.size(); ++k) {
        if (plan.input_slots()[k] == SweepPlan::kNotOnTape) out[k] = Value();
        else out[k] = walk.adjoint(V::node(inputs[k]));
        if (!out[k].valid() && !options.allow_unused) throw_unused(k, inputs[k]);
    }
    return out;
}

}  // namespace

std::vector<Value> grad(const Value& output, const std::vector<Value>& inputs, GradOptions options) {
    check_handles(output, inputs);
    if (output.is_parameter()) return grad_of_parameter(output, inputs, options);
    Tape& tape = *output.tape();
    SweepPlan plan(tape, V::node(output), inputs);
    if (plan.crosses_entries()) return grad_through_entries(plan, output, inputs, options);
    std::vector<Value> out(inputs.size());
    std::vector<bool> reached;  // asked for only when some derivative is zero
    const auto used = [&](std::size_t k) {
        if (reached.empty()) reached = plan.reached_inputs();
        if (!reached[k] && !options.allow_unused) throw_unused(k, inputs[k]);
        return static_cast<bool>(reached[k]);
    };
    if (options.create_graph) {
        const std::vector<detail::Node*> adjoints = detail::create_graph_adjoints(plan);
        for (std::size_t k = 0; k < inputs.size(); ++k) {
            if (adjoints[k] != nullptr) out[k] = V::wrap(adjoints[k], &tape);
            else if (used(k)) out[k] = Value(tape, 0.0);  // reached only through zero partials
        }
    } else {
        const std::vector<double> adjoints = detail::first_order_adjoints(plan);
        for (std::size_t k = 0; k < inputs.size(); ++k)
            if (adjoints[k] != 0.0 || used(k)) out[k] = Value(tape, adjoints[k]);
    }
    return out;
}

}  // namespace tapegrad
