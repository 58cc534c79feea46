// grad() without create_graph: the reverse sweep of Tape::backward, with the adjoints in an
// array indexed by slot instead of the nodes' grads, which it leaves alone.
#include "grad_sweep.hpp"

#include "fp_control.hpp"

namespace tapegrad::detail {

std::vector<double> first_order_adjoints(SweepPlan& plan) {
    const ControlWordScope flush(backward_control_word());  // as backward: subnormals flushed
    NodeSlots& slots = plan.slots();
    std::vector<double> adjoint(slots.count(), 0.0);
    adjoint[plan.root()] = 1.0;
    for (std::size_t i = plan.root() + 1; i-- > plan.lowest();) {
        if (!plan.reached(i)) continue;
        plan.check_no_entry_above(i);
        if (plan.last_needed(i)) break;
        const Node& node = *slots.node(i);
        const double g = adjoint[i];
        for (std::uint32_t k = 0; k < node.n_edges; ++k) {
            const std::size_t s = plan.reach(node_of_grad(node.edges[k].parent_grad));
            if (s >= adjoint.size()) [[unlikely]] adjoint.resize(slots.count(), 0.0);
            if (g != 0.0) adjoint[s] += node.edges[k].partial * g;  // as backward: 0 * inf passes nothing
        }
    }
    std::vector<double> out;
    for (std::size_t s : plan.input_slots()) out.push_back(s == SweepPlan::kNotOnTape ? 0.0 : adjoint[s]);
    return out;
}

}  // namespace tapegrad::detail
