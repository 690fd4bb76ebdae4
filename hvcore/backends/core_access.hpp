// How a back end reaches the core and machine memory. In the monitor the
// core is shared by every vCPU and back end, so each call runs under the
// monitor's lock and the effects it leaves (an event for a guest) are applied
// after it (kvm::Monitor::with_core); in tests and the fuzzer the back end
// owns a core of its own and calls it directly.
#pragma once

#include "hvcore/backends/function_ref.hpp"
#include "hvcore/core/core.hpp"

#include <cstddef>
#include <cstdint>
#include <span>

namespace enso::backends {

class CoreAccess {
public:
    virtual ~CoreAccess() = default;
    // Runs f with the core to itself. Batch work into one call: each takes
    // the monitor's lock.
    virtual void run(FunctionRef<void(core::Core&)> f) = 0;
    // Machine frame f as the monitor maps it (domain 0 reaches the frames it
    // grant-mapped, and its own, here).
    [[nodiscard]] virtual std::byte* frame(std::uint32_t f) const = 0;
};

// A core the caller owns, over memory it owns (tests, the fuzzer).
class DirectCoreAccess final : public CoreAccess {
public:
    DirectCoreAccess(core::Core& core, std::span<std::byte> memory)
        : core_(core), memory_(memory) {}
    void run(FunctionRef<void(core::Core&)> f) override { f(core_); }
    [[nodiscard]] std::byte* frame(std::uint32_t f) const override {
        return memory_.data() + std::size_t{f} * core::kPageSize;
    }

private:
    core::Core& core_;
    std::span<std::byte> memory_;
};

} // namespace enso::backends
