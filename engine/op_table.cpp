// The scalar op table's names: built-in ops' from the op list, users' ops' as they register.
#include "tapegrad/detail/op_table.hpp"

#include <array>
#include <atomic>
#include <deque>
#include <mutex>
#include <string>

#include "tapegrad/error.hpp"

namespace tapegrad::detail {

namespace {
struct UserOps {
    std::mutex mutex;
    std::deque<std::string> kept;  // the names' storage; a deque never moves what it holds
    std::size_t count = 0;
    std::array<std::atomic<const char*>, 256 - ScalarOps::count> names{};
};
UserOps& user_ops() {
    static UserOps* ops = new UserOps;  // never destroyed: nodes may name them until exit
    return *ops;
}
}  // namespace

const char* op_name(std::uint8_t code) {
    if (code < ScalarOps::count) return ScalarOps::names[code];
    const char* name = user_ops().names[code - ScalarOps::count].load(std::memory_order_acquire);
    return name != nullptr ? name : "unknown op";
}

std::uint8_t register_op(const char* name) {
    UserOps& ops = user_ops();
    std::lock_guard<std::mutex> lock(ops.mutex);
    if (ops.count == ops.names.size())
        throw Error(std::string("ScalarOp '") + name + "': at most " + std::to_string(ops.names.size()) +
                    " user ops can be defined");
    ops.names[ops.count].store(ops.kept.emplace_back(name).c_str(), std::memory_order_release);
    return static_cast<std::uint8_t>(ScalarOps::count + ops.count++);
}

}  // namespace tapegrad::detail
