// grad(): checks the handles, plans the sweep from the output, runs the first-order or the
// create_graph sweep, and hands each input its derivative as a Value.
#include "tapegrad/grad.hpp"

#include <string>

#include "grad_sweep.hpp"
#include "tape_internals.hpp"
#include "tapegrad/detail/op_table.hpp"

namespace tapegrad {

namespace detail {

SweepPlan::SweepPlan(Tape& tape, Node* root, const std::vector<Value>& inputs)
    : tape_(tape),
      root_(TapeInternals::index_of(tape, root)),
      slots_(TapeInternals::nodes(tape), root_ + 1),
      flags_(root_ + 1, 0),
      lowest_(root_) {
    flags_[root_] = kReached;
    for (const Value& input : inputs) {
        if (input.tape() != nullptr && input.tape() != &tape) {
            input_slots_.push_back(kNotOnTape);
            continue;
        }
        const std::size_t s = input.tape() != nullptr ? TapeInternals::index_of(tape, ValueAccess::node(input))
                                                      : slots_.slot(ValueAccess::node(input));
        if (s > root_ && !slots_.is_parameter(s)) {  // recorded after the output: cannot reach it
            input_slots_.push_back(kNotOnTape);
            continue;
        }
        if (s >= flags_.size()) flags_.resize(slots_.count(), 0);
        flags_[s] |= kInput;
        input_slots_.push_back(s);
    }
    std::size_t floor = root_ + 1;  // inputs below the output: the sweep ends at the lowest one
    for (std::size_t s : input_slots_) {
        if (s == kNotOnTape) continue;
        if (slots_.is_parameter(s)) {  // reachable from any node: sweep them all
            floor = 0;
            break;
        }
        if (s < floor) floor = s;
    }
    floor_ = floor;
    const std::vector<Entry>& entries = TapeInternals::entries(tape);
    for (std::size_t k = entries.size(); k-- > 0;)
        if (entries[k].position <= root_) {
            entry_ = k;
            entry_position_ = entries[k].position;
            break;
        }
}

void SweepPlan::throw_entry_in_the_way(std::size_t i) const {
    throw Error(std::string("grad: the graph passes through '") + tape_.entry_name(entry_) +
                "' (an op recorded between node " + std::to_string(i) + " and the output, node " +
                std::to_string(root_) + "); derivatives through tensor ops need the tensor engine: use backward()");
}

}  // namespace detail

namespace {

using detail::SweepPlan;
using V = detail::ValueAccess;

void check_handles(const Value& output, const std::vector<Value>& inputs) {
    V::check(output, "grad (output)");
    for (std::size_t k = 0; k < inputs.size(); ++k) V::check(inputs[k], ("grad (input " + std::to_string(k) + ")").c_str());
}

[[noreturn]] void throw_unused(std::size_t k, const Value& input) {
    throw Error("grad: the output does not depend on input " + std::to_string(k) + " (data " +
                std::to_string(input.data()) + (input.is_parameter() ? ", a parameter" : ", '" + std::string(input.op()) + "'") +
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

}  // namespace

std::vector<Value> grad(const Value& output, const std::vector<Value>& inputs, GradOptions options) {
    check_handles(output, inputs);
    if (output.is_parameter()) return grad_of_parameter(output, inputs, options);
    Tape& tape = *output.tape();
    SweepPlan plan(tape, V::node(output), inputs);
    std::vector<Value> out(inputs.size());
    const std::vector<std::size_t>& slots = plan.input_slots();
    if (options.create_graph) {
        const std::vector<detail::Node*> adjoints = detail::create_graph_adjoints(plan);
        for (std::size_t k = 0; k < inputs.size(); ++k) {
            const std::size_t s = slots[k];
            if (s == SweepPlan::kNotOnTape || !plan.reached(s)) {
                if (!options.allow_unused) throw_unused(k, inputs[k]);
            } else if (adjoints[k] == nullptr) {
                out[k] = Value(tape, 0.0);  // reached only through zero partials
            } else {
                out[k] = V::wrap(adjoints[k], &tape);
            }
        }
    } else {
        const std::vector<double> adjoints = detail::first_order_adjoints(plan);
        for (std::size_t k = 0; k < inputs.size(); ++k) {
            const std::size_t s = slots[k];
            if (s == SweepPlan::kNotOnTape || !plan.reached(s)) {
                if (!options.allow_unused) throw_unused(k, inputs[k]);
            } else {
                out[k] = Value(tape, adjoints[k]);
            }
        }
    }
    return out;
}

}  // namespace tapegrad
