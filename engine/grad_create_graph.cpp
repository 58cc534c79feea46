// grad() with create_graph: the reverse sweep recorded as ops on the tape, so that its results
// can be differentiated again.
//
// Each visited node's partials are rebuilt as Values from its op (value_partials.hpp: the
// elementwise rule evaluated on handles to the node and its parents; sum's are 1, dot's are the
// other operand of each pair). A node's adjoint is not accumulated op by op: the sweep collects
// its terms (partial, adjoint of a user) and, when it reaches the node (its users are all done),
// records their sum once: a single constant 1 is passed on as it is (no node), anything else is
// one dot node over (partial, adjoint) pairs. So the derivative graph has about two edges per
// term, and a term per edge of the graph it differentiates.
//
// Where terms wait: an interior node's in a list threaded through one array (its users were
// recorded shortly after it, so the list is still in cache when the node is reached); an input's
// in a piece of its own, since inputs are reached last and may have many users (a weight used by
// every point of a batch), whose terms are then read in order.
#include <string>

#include "grad_sweep.hpp"
#include "tape_internals.hpp"
#include "tapegrad/detail/op_table.hpp"
#include "tapegrad/ops/scalar.hpp"
#include "value_partials.hpp"

namespace tapegrad::detail {

namespace {

using V = ValueAccess;

// Each slot's terms, and its adjoint recorded from them.
class Adjoints {
public:
    Adjoints(Tape& tape, SweepPlan& plan, SweepScratch& scratch)
        : tape_(tape), plan_(plan), heads_(scratch.heads), linked_(scratch.linked_terms), buckets_(scratch.buckets) {
        plan.mark_nodes_with_partials();
        heads_.assign(plan.slots().count(), 0);
        linked_.assign(1, LinkedTerm{});  // terms are numbered from 1: 0 ends a list
        std::uint32_t bucket = 0;
        for (std::size_t s : plan.input_slots()) {
            if (s == SweepPlan::kNotOnTape || heads_[s] != 0) continue;
            if (bucket == buckets_.size()) buckets_.emplace_back();
            buckets_[bucket].clear();  // keeps its capacity: a warm sweep does not allocate
            heads_[s] = ++bucket;      // an input's head names its bucket, from 1
        }
    }

    // Adds partial * g to the slot's terms if the slot wants them: an input, or a node with
    // partials to pass on (not a leaf or a parameter nobody asked about).
    void add(std::size_t slot, Node* partial, double partial_value, Node* g, double g_value) {
        const std::uint16_t flags = plan_.flags(slot);
        if ((flags & (SweepPlan::kInput | SweepPlan::kHasPartials)) == 0) return;
        const Term term{partial, g, partial_value, g_value};
        if ((flags & SweepPlan::kInput) != 0) {
            // An input's next term is written a whole round of its users later; by then the
            // line it goes to is fetched (inputs used by every point of a batch, written in
            // hundreds of places at once, otherwise miss the cache on every other term).
            std::vector<Term>& bucket = buckets_[heads_[slot] - 1];
            bucket.push_back(term);
            __builtin_prefetch(bucket.data() + bucket.size() + 2, 1);
        } else {
            linked_.push_back(LinkedTerm{term, heads_[slot]});
            heads_[slot] = static_cast<std::uint32_t>(linked_.size() - 1);
        }
    }

    // True if the slot has terms (its adjoint is not a structural zero).
    bool has_terms(std::size_t slot) const {
        return heads_[slot] != 0 && (!plan_.is_input(slot) || !buckets_[heads_[slot] - 1].empty());
    }

    // The slot's adjoint, recorded, or null if it has no terms (a structural zero).
    Node* form(std::size_t slot) {
        if (slot >= heads_.size()) heads_.resize(plan_.slots().count(), 0);  // a parameter met late
        if (heads_[slot] == 0) return nullptr;
        if (plan_.is_input(slot)) {
            const std::vector<Term>& terms = buckets_[heads_[slot] - 1];
            return form(
                [&](auto&& f) {
                    for (const Term& t : terms) f(t);
                },
                terms.size());
        }
        std::size_t n = 0;
        for (std::uint32_t t = heads_[slot]; t != 0; t = linked_[t].next) ++n;
        return form(
            [&](auto&& f) {
                for (std::uint32_t t = heads_[slot]; t != 0; t = linked_[t].next) f(linked_[t].term);
            },
            n);
    }

private:
    template <class EachTerm> Node* form(EachTerm each_term, std::size_t n) {
        if (n == 0) return nullptr;
        const Term* single = nullptr;
        if (n == 1) each_term([&](const Term& t) { single = &t; });
        if (single != nullptr && single->partial == nullptr) {  // one user, a constant partial
            if (single->partial_value == 1.0) return single->g;
            return V::node(V::wrap(single->g, &tape_) * single->partial_value);
        }
        // One dot node over the pairs (partial, g); a constant partial is a leaf holding it,
        // made first: nothing may be recorded between edge_room and record_in_room.
        each_term([&](const Term& t) {
            if (t.partial == nullptr) constant_leaf(t.partial_value);
        });
        const auto n_edges = static_cast<std::uint32_t>(2 * n);
        Edge* edges = tape_.edge_room(n_edges);
        double y = 0.0;
        each_term([&](const Term& t) {
            Node* const p = t.partial != nullptr ? t.partial : constant_leaf(t.partial_value);
            y += t.partial_value * t.g_value;
            edges[0] = Edge{t.g_value, &p->grad};
            edges[1] = Edge{t.partial_value, &t.g->grad};
            edges += 2;
        });
        check_forward(tape_, ops::Dot::name, y);
        return tape_.record_in_room(y, code_of<ops::Dot>, n_edges);
    }
    // A leaf holding c; 1 and -1 are made once per sweep.
    Node* constant_leaf(double c) {
        Node*& kept = c == 1.0 ? one_ : c == -1.0 ? minus_one_ : other_;
        if (kept == nullptr || kept->value != c) kept = V::node(Value(tape_, c));
        return kept;
    }

    Tape& tape_;
    SweepPlan& plan_;
    std::vector<std::uint32_t>& heads_;
    std::vector<LinkedTerm>& linked_;
    std::vector<std::vector<Term>>& buckets_;
    Node* one_ = nullptr;
    Node* minus_one_ = nullptr;
    Node* other_ = nullptr;
};

}  // namespace

std::vector<Node*> create_graph_adjoints(SweepPlan& plan) {
    Tape& tape = plan.tape();
    SweepScratch& scratch = sweep_scratch();
    NodeSlots& slots = plan.slots();
    HigherOrderCursor log(TapeInternals::higher_order_log(tape));
    // What the sweep records can be differentiated again; constants a rule makes for a Value
    // (T(0)) go on this tape.
    const CurrentTape current(tape);
    const HigherOrder guard(tape);
    Adjoints adjoints(tape, plan, scratch);
    std::vector<Node*>& input_adjoint = scratch.input_adjoints;
    input_adjoint.assign(slots.count(), nullptr);
    const Value seed(tape, 1.0);
    RebuildScratch rebuild;

    // As backward: only nodes with terms (a non-zero adjoint) are visited.
    std::size_t lowest = plan.root();
    NodeSlots::Window window = slots.window();
    for (std::size_t i = plan.root() + 1; i-- > plan.floor() && i >= lowest;) {
        if (i != plan.root() && !adjoints.has_terms(i)) continue;
        Node* const g = i == plan.root() ? V::node(seed) : adjoints.form(i);
        if (plan.is_input(i)) input_adjoint[i] = g;
        if (plan.last_needed(i)) break;
        Node& node = *slots.node(i);
        const std::uint32_t n = node.n_edges;
        if (n == 0) continue;
        const double gv = g->value;
        each_value_partial(
            tape, slots, i, node, log, rebuild,
            [&](Node* p) {
                const std::size_t s = plan.slot(p, window);
                if (s < lowest) lowest = s;
                return s;
            },
            [&](std::size_t s, Node* partial, double partial_value) {
                adjoints.add(s, partial, partial_value, g, gv);
            });
    }
    // Parameters come after every node on the tape: their terms are complete now.
    std::vector<Node*> out;
    for (std::size_t s : plan.input_slots()) {
        if (s == SweepPlan::kNotOnTape) {
            out.push_back(nullptr);
            continue;
        }
        if (s >= input_adjoint.size()) input_adjoint.resize(slots.count(), nullptr);
        if (slots.is_parameter(s) && input_adjoint[s] == nullptr) input_adjoint[s] = adjoints.form(s);
        out.push_back(input_adjoint[s]);
    }
    return out;
}

}  // namespace tapegrad::detail
