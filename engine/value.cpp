// Value's out-of-line parts: leaves, parameters, backward, and the errors handles raise.
#include "tapegrad/value.hpp"

#include <mutex>
#include <ostream>
#include <string>

#include <boost/pool/pool.hpp>

namespace tapegrad {

namespace detail {

void throw_stale(const char* op, std::uint64_t recorded, std::uint64_t now) {
    throw Error(std::string(op) + ": the value's tape was cleared (value recorded in generation " +
                std::to_string(recorded) + ", tape now at generation " + std::to_string(now) +
                "); keep values that must outlive Tape::clear() as parameters (Value::parameter)");
}

void throw_empty(const char* op) {
    throw Error(std::string(op) +
                ": empty Value (default-constructed and never assigned, or consumed by an op as std::move(value))");
}

void throw_mixed_tapes(const char* op) { throw Error(std::string(op) + ": operands were recorded on different tapes"); }

void throw_size_mismatch(const char* op, std::size_t a, std::size_t b) {
    throw Error(std::string(op) + ": operand sizes differ: " + std::to_string(a) + " vs " + std::to_string(b));
}

namespace {
// Boost.Pool's blocks come from the node region, where edges can name a parameter's grad.
struct RegionBlocks {
    using size_type = std::size_t;
    using difference_type = std::ptrdiff_t;
    static char* malloc(size_type bytes) { return static_cast<char*>(node_region_allocate(bytes)); }
    static void free(char* block) { node_region_free(block); }
};

// Parameters live outside every tape, in one process-wide pool.
struct ParameterPool {
    std::mutex mutex;
    boost::pool<RegionBlocks> pool{sizeof(Node)};  // unordered malloc/free: O(1) each
};
ParameterPool& parameter_pool() {
    static ParameterPool* instance = new ParameterPool;  // never destroyed: parameters may outlive main's locals
    return *instance;
}
}  // namespace

}  // namespace detail

Value Value::parameter(double x) {
    detail::ParameterPool& p = detail::parameter_pool();
    detail::Node* node;
    {
        std::lock_guard<std::mutex> lock(p.mutex);
        node = static_cast<detail::Node*>(p.pool.malloc());
    }
    if (node == nullptr) throw Error("parameter: out of memory");
    *node = detail::Node{.grad = 0.0,
                         .value = x,
                         .edges = nullptr,
                         .n_edges = 0,
                         .op = detail::code_of<ops::Leaf>,
                         .first_op = detail::code_of<ops::Leaf>,
                         .second_op = 0,
                         .fused_form = 0};
    return detail::ValueAccess::wrap(node, nullptr);
}

void Value::release_parameter(Value& p) {
    if (!p.is_parameter()) throw Error("release_parameter: the value is not a parameter");
    detail::ParameterPool& pool = detail::parameter_pool();
    {
        std::lock_guard<std::mutex> lock(pool.mutex);
        pool.pool.free(p.node_);
    }
    p = Value();
}

void Value::set_data(double x) {
    check("set_data");
    if (node_->op != detail::code_of<ops::Leaf>)
        throw Error(std::string("set_data: only leaves and parameters can be assigned, this value is the result of '") +
                    op() + "'");
    if (tape_ != nullptr) tape_->note_leaf_assigned(node_);  // product nodes read values at sweep time
    node_->value = x;
}

bool Value::is_leaf() const {
    check("is_leaf");
    return node_->op == detail::code_of<ops::Leaf>;
}

bool Value::valid() const {
    if (node_ == nullptr) return false;
    return tape_ == nullptr || generation_ == tape_->generation();
}

const char* Value::op() const {
    check("op");
    return detail::op_name(node_->op);
}

std::ostream& operator<<(std::ostream& os, const Value& v) {
    if (!v.valid()) return os << "Value(invalid)";
    return os << "Value(data=" << v.data() << ", grad=" << v.grad() << ")";
}

}  // namespace tapegrad
