// FunctionRef: a non-owning reference to a callable, so that the derivative drivers take any
// function object without copying it or allocating, and run out of line.
#pragma once

#include <memory>
#include <type_traits>
#include <utility>

namespace tapegrad::detail {

template <class Signature> class FunctionRef;

template <class R, class... Args> class FunctionRef<R(Args...)> {
public:
    template <class F>
        requires(!std::is_same_v<std::remove_cvref_t<F>, FunctionRef> && std::is_invocable_r_v<R, F&, Args...>)
    FunctionRef(F& f)
    noexcept  // NOLINT: implicit, as a function parameter
        : object_(const_cast<void*>(static_cast<const void*>(std::addressof(f)))),
          call_([](void* object, Args... args) -> R {
              return (*static_cast<F*>(object))(std::forward<Args>(args)...);
          }) {}

    R operator()(Args... args) const { return call_(object_, std::forward<Args>(args)...); }

private:
    void* object_;
    R (*call_)(void*, Args...);
};

}  // namespace tapegrad::detail
