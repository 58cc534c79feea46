// grad() without create_graph: the reverse sweep of Tape::backward, with the adjoints in an
// array indexed by slot instead of the nodes' grads, which it leaves alone.
#include "grad_sweep.hpp"

#include "fp_control.hpp"

namespace tapegrad::detail {

std::vector<double> first_order_adjoints(SweepPlan& plan) {
    const ControlWordScope flush(backward_control_word());  // as backward: subnormals flushed
    NodeSlots& slots = plan.slots();
    std::vector<double>& adjoint = sweep_scratch().adjoints;
    adjoint.assign(slots.count(), 0.0);
    adjoint[plan.root()] = 1.0;
    std::size_t lowest = plan.root();  // nodes below the lowest one given an adjoint need no visit
    NodeSlots::Window window = slots.window();
    for (std::size_t i = plan.root() + 1; i-- > plan.floor() && i >= lowest;) {
        const double g = adjoint[i];
        if (g == 0.0) continue;  // as backward: nothing to pass on (and 0 * inf passes nothing)
        if (plan.last_needed(i)) break;
        const Node& node = *slots.node(i);
        Edge made[3];
        const Edge* e = partials_of(node, made);
        for (std::uint32_t k = 0; k < node.n_edges; ++k) {
            const std::size_t s = window(node_of_grad(e[k].parent_grad()), slots);
            if (s >= adjoint.size()) [[unlikely]]
                adjoint.resize(slots.count(), 0.0);  // a parameter
            adjoint[s] += e[k].partial * g;
            if (s < lowest) lowest = s;
        }
    }
    std::vector<double> out;
    for (std::size_t s : plan.input_slots()) out.push_back(s == SweepPlan::kNotOnTape ? 0.0 : adjoint[s]);
    return out;
}

}  // namespace tapegrad::detail
