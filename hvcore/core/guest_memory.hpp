// Hypercall arguments in guest memory. Guest pointers are virtual addresses
// in the domain's current address space, translated through its page tables
// with the guest's own rights (user, and writable for writes), so a bad
// pointer is -EFAULT, never a host crash. Before the domain has a base
// pointer, addresses are machine addresses of frames it owns.
#pragma once

#include "hvcore/core/core.hpp"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <type_traits>
#include <utility>

namespace enso::core {

// The guest address inside a XEN_GUEST_HANDLE (a pointer, or a struct
// holding one, depending on how the Xen headers were compiled).
template <class Handle>
std::uint64_t handle_address(const Handle& h) {
    static_assert(sizeof(Handle) == sizeof(std::uint64_t));
    std::uint64_t v = 0;
    std::memcpy(&v, &h, sizeof v);
    return v;
}

template <class T>
concept TriviallyCopyable = std::is_trivially_copyable_v<T>;

class GuestMemory {
public:
    GuestMemory(const CState& s, std::uint16_t d) : s_(s), d_(d) {}

    Rc copy_from(std::uint64_t gva, std::span<std::byte> out) const;
    Rc copy_to(std::uint64_t gva, std::span<const std::byte> in) const;
    // Whether n bytes at gva could be written: checked before an operation
    // with OUT fields runs, so a bad pointer cannot leave it half done.
    [[nodiscard]] bool writable(std::uint64_t gva, std::size_t n) const;

    // Reads an IN/OUT argument that will be written back: -EFAULT unless it
    // is both readable and writable.
    template <TriviallyCopyable T>
    Rc read_inout(std::uint64_t gva, T& out) const {
        if (!writable(gva, sizeof(T))) {
            return kEFAULT;
        }
        return read(gva, out);
    }
    template <TriviallyCopyable T>
    Rc read(std::uint64_t gva, T& out) const {
        return copy_from(gva, std::as_writable_bytes(std::span<T, 1>(&out, 1)));
    }
    template <TriviallyCopyable T>
    Rc write(std::uint64_t gva, const T& in) const {
        return copy_to(gva, std::as_bytes(std::span<const T, 1>(&in, 1)));
    }

    // The machine frame behind gva, or kNoFrame.
    [[nodiscard]] std::uint32_t translate(std::uint64_t gva, bool write) const;

private:
    const CState& s_;
    std::uint16_t d_;
};

// A hypercall's argument structure at `at`: read, run, written back (its
// OUT fields) always or only when `run` succeeded, as the hypercall
// defines. `run`'s result is the hypercall's.
enum class WriteBack { kAlways, kOnSuccess };
template <class Arg, class Fn>
long with_guest_arg(const GuestMemory& guest, std::uint64_t at, WriteBack when, Fn&& run) {
    Arg arg{};
    if (guest.read_inout(at, arg) != kOk) {
        return kEFAULT;
    }
    const long rc = run(arg);
    if ((when == WriteBack::kAlways || rc == kOk) && guest.write(at, arg) != kOk) {
        return kEFAULT;
    }
    return rc;
}

} // namespace enso::core
