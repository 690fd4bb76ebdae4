// A non-owning reference to a callable: how a back end hands work to the
// core without std::function's allocation on its hot path.
#pragma once

#include <memory>
#include <type_traits>
#include <utility>

namespace enso::backends {

template <class Sig>
class FunctionRef;

template <class R, class... Args>
class FunctionRef<R(Args...)> {
public:
    template <class F>
    requires(!std::is_same_v<std::remove_cvref_t<F>, FunctionRef>)
        // NOLINTNEXTLINE(google-explicit-constructor): passed like a lambda, as std::function is
        FunctionRef(F&& f)
        : obj_(const_cast<void*>(static_cast<const void*>(std::addressof(f)))),
          call_([](void* o, Args... args) -> R {
              return (*static_cast<std::remove_reference_t<F>*>(o))(std::forward<Args>(args)...);
          }) {}

    R operator()(Args... args) const { return call_(obj_, std::forward<Args>(args)...); }

private:
    void* obj_;
    R (*call_)(void*, Args...);
};

} // namespace enso::backends
