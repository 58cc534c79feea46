// Values and Tensors in one graph: Tensor::from_values (Values into a tensor) and
// Tensor::element (a tensor's element as a Value). Each is an entry on the tape beside the scalar
// nodes, placed so that the one reverse sweep reaches it when its grads are complete:
//
//   from_values: recorded after the Values' nodes; its backward adds the result's grad into the
//                Values' grads before the sweep reaches their nodes.
//   element:     recorded just before the Value's node (a leaf node); the sweep runs it right
//                after that node, when every user of the Value has added to its grad, and it adds
//                that grad into the tensor's grad.
//
// backward() covers both directions, and so do both grad()s, first order and with create_graph:
// a graph that crosses between Values and Tensors goes to engine/grad_mixed.cpp's walk, which
// reads these entries back through read_from_values and read_element (detail/values_entries.hpp).
#include <algorithm>
#include <string>

#include "tapegrad/detail/op_recorder.hpp"
#include "tapegrad/detail/tensor_loops.hpp"
#include "tapegrad/detail/values_entries.hpp"

namespace tapegrad::detail {
namespace {

using V = ValueAccess;

struct FromValues : OpData<kAnyInputs> {  // no tensor inputs
    Node** nodes;
    Tape** tapes;  // each Value's tape, null for a parameter

    FromValues(TensorImpl* result, Node** n, Tape** t) : OpData(result, {}), nodes(n), tapes(t) {}

    void backward() const {
        if (out->grad == nullptr) return;
        dispatch(out->dtype, [&]<class T>() {
            const T* gy = static_cast<const T*>(out->grad);
            for (std::int64_t k = 0; k < out->numel; ++k) {
                if (gy[k] == T(0)) continue;
                Value v = V::wrap(nodes[k], tapes[k]);
                v.set_grad(v.grad() + static_cast<double>(gy[k]));
            }
        });
    }
};

struct Element {
    TensorImpl* t;    // retained while the entry lives
    std::int64_t at;  // the element's index in t's contiguous grad
    Node* node;
    Tape* tape;

    Element(TensorImpl* tensor, std::int64_t flat, Node* n, Tape* on) : t(tensor), at(flat), node(n), tape(on) {
        t->retain();
    }
    Element(const Element&) = delete;
    Element& operator=(const Element&) = delete;
    ~Element() { t->release(); }

    TensorImpl* output() const { return nullptr; }
    std::span<TensorImpl* const> inputs() const { return {&t, 1}; }
    void backward() const {
        const double g = V::wrap(node, tape).grad();
        if (g == 0.0) return;
        dispatch(t->dtype, [&]<class T>() { t->grad_ptr<T>()[at] += static_cast<T>(g); });
    }
    void restart() const { V::wrap(node, tape).set_grad(0.0); }
};

constexpr EntryGraph kFromValuesGraph{
    [](void* p) { return static_cast<FromValues*>(p)->out; },
    [](void* p) { return static_cast<FromValues*>(p)->inputs(); },
    nullptr,
};
constexpr EntryGraph kElementGraph{
    [](void* p) { return static_cast<Element*>(p)->output(); },
    [](void* p) { return static_cast<Element*>(p)->inputs(); },
    nullptr,
};

}  // namespace

bool read_from_values(const Entry& entry, FromValuesEntry& out) {
    if (entry.graph != &kFromValuesGraph) return false;
    const auto* d = static_cast<const FromValues*>(entry.data);
    out = FromValuesEntry{d->out, {d->nodes, static_cast<std::size_t>(d->out->numel)}};
    return true;
}

bool read_element(const Entry& entry, ElementEntry& out) {
    if (entry.graph != &kElementGraph) return false;
    const auto* d = static_cast<const Element*>(entry.data);
    out = ElementEntry{d->t, d->at, d->node};
    return true;
}

}  // namespace tapegrad::detail

namespace tapegrad {

using detail::TensorAccess;
using detail::TensorImpl;
using V = detail::ValueAccess;

Tensor Tensor::from_values(const std::vector<Value>& values, const Shape& shape, DType dtype) {
    constexpr const char* op = "from_values";
    if (static_cast<std::int64_t>(values.size()) != shape.numel())
        detail::tensor_error(op, std::to_string(values.size()) + " values for shape " + shape.str());
    Tape* tape = nullptr;
    for (std::size_t k = 0; k < values.size(); ++k) {
        const std::string what = std::string(op) + " (value " + std::to_string(k) + ")";
        V::check(values[k], what.c_str());
        if (values[k].tape() == nullptr) continue;
        if (tape != nullptr && tape != values[k].tape())
            detail::tensor_error(op, "value " + std::to_string(k) + " is on another tape than value 0's");
        tape = values[k].tape();
    }
    if (tape == nullptr) tape = &Tape::current();
    const bool requires_grad = tape->grad_enabled() && !values.empty();
    TensorImpl* out = detail::new_result(*tape, dtype, shape, requires_grad);
    detail::dispatch(dtype, [&]<class T>() {
        T* y = out->ptr<T>();
        for (std::size_t k = 0; k < values.size(); ++k) y[k] = static_cast<T>(values[k].data());
    });
    if (!requires_grad) return TensorAccess::wrap_result(out, *tape);
    auto* nodes = static_cast<detail::Node**>(
        tape->arena().allocate(values.size() * sizeof(detail::Node*), alignof(detail::Node*)));
    auto* tapes = static_cast<Tape**>(tape->arena().allocate(values.size() * sizeof(Tape*), alignof(Tape*)));
    for (std::size_t k = 0; k < values.size(); ++k) {
        nodes[k] = V::node(values[k]);
        tapes[k] = values[k].tape();
    }
    auto* data = tape->arena().make<detail::FromValues>(out, nodes, tapes);
    out->entry = tape->record_entry([](void* p) { static_cast<detail::FromValues*>(p)->backward(); },
                                    &detail::restart_out<detail::FromValues>, data, op, &detail::kFromValuesGraph);
    return TensorAccess::wrap_result(out, *tape);
}

Value Tensor::element(std::initializer_list<std::int64_t> index) const {
    constexpr const char* op = "element";
    TensorImpl* t = impl(op);
    if (static_cast<int>(index.size()) != t->ndim)
        detail::tensor_error(op,
                             std::to_string(index.size()) + " indices for a tensor of shape " + detail::shape_str(t));
    std::int64_t cs[kMaxDims];
    detail::contiguous_strides(t->ndim, t->sizes, cs);
    std::int64_t flat = 0, offset = 0;
    int d = 0;
    for (std::int64_t i : index) {
        if (i < -t->sizes[d] || i >= t->sizes[d])
            detail::tensor_error(op, "index " + std::to_string(i) + " is out of range for dim " + std::to_string(d) +
                                         " of shape " + detail::shape_str(t));
        if (i < 0) i += t->sizes[d];
        flat += i * cs[d];
        offset += i * t->strides[d];
        ++d;
    }
    const double x = detail::dispatch(t->dtype, [&]<class T>() { return static_cast<double>(t->ptr<T>()[offset]); });
    Tape& tape = tape_ != nullptr ? *tape_ : Tape::current();
    if (!t->requires_grad || !tape.grad_enabled()) return Value(tape, x);
    // The entry first, then the Value's node: the sweep runs the entry right after the node.
    auto* data = tape.arena().make<detail::Element>(t, flat, nullptr, &tape);
    tape.record_entry([](void* p) { static_cast<detail::Element*>(p)->backward(); },
                      [](void* p) { static_cast<detail::Element*>(p)->restart(); }, data, op, &detail::kElementGraph);
    Value v(tape, x);
    data->node = V::node(v);
    return v;
}

}  // namespace tapegrad
