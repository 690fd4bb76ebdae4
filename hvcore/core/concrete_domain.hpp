// The concrete value domain: plain integers, flat vectors, real machine memory.
// Everything inlines to the code one would write by hand.
#pragma once

#include "hvcore/core/mutation.hpp"
#include "hvcore/core/xen_abi.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

namespace enso::core {

template <class T>
class FlatArray {
public:
    FlatArray() = default;
    explicit FlatArray(std::size_t n, T init = T{}) : v_(n, init) {}
    [[nodiscard]] T get(std::size_t i) const { return v_[i]; }
    void set(std::size_t i, T x) { v_[i] = x; }
    [[nodiscard]] std::size_t size() const { return v_.size(); }
    void resize(std::size_t n, T init = T{}) { v_.assign(n, init); }

private:
    std::vector<T> v_;
};

// Machine memory: frame N at byte N * 4096 of one mapping (in the monitor, the
// memfd; in tests, a heap buffer). Page-table entries are read where the guest
// sees them. Words are accessed atomically because a running guest may touch
// its own frames (shared_info, grant entries) concurrently.
class ConcreteMemory {
public:
    ConcreteMemory() = default;
    explicit ConcreteMemory(std::span<std::byte> bytes) : bytes_(bytes) {}

    [[nodiscard]] std::uint64_t load64(std::uint32_t mfn, std::uint32_t word) const {
        return std::atomic_ref<std::uint64_t>(*word_ptr(mfn, word)).load(std::memory_order_relaxed);
    }
    void store64(std::uint32_t mfn, std::uint32_t word, std::uint64_t v) const {
        std::atomic_ref<std::uint64_t>(*word_ptr(mfn, word)).store(v, std::memory_order_relaxed);
    }
    // Atomic read-modify-write for words a guest may write at the same time
    // (event-channel bits, grant-entry flags). Returns the old value.
    std::uint64_t fetch_or64(std::uint32_t mfn, std::uint32_t word, std::uint64_t bits) const {
        return std::atomic_ref<std::uint64_t>(*word_ptr(mfn, word)).fetch_or(bits);
    }
    std::uint64_t fetch_and64(std::uint32_t mfn, std::uint32_t word, std::uint64_t bits) const {
        return std::atomic_ref<std::uint64_t>(*word_ptr(mfn, word)).fetch_and(bits);
    }
    bool compare_exchange64(std::uint32_t mfn, std::uint32_t word, std::uint64_t& expected,
                            std::uint64_t desired) const {
        return std::atomic_ref<std::uint64_t>(*word_ptr(mfn, word))
            .compare_exchange_strong(expected, desired);
    }
    void copy(std::uint32_t dst, std::uint32_t dst_off, std::uint32_t src, std::uint32_t src_off,
              std::uint32_t len) const {
        std::memmove(frame(dst) + dst_off, frame(src) + src_off, len);
    }
    void clear_frame(std::uint32_t mfn) const { std::memset(frame(mfn), 0, kPageSize); }
    [[nodiscard]] std::byte* frame(std::uint32_t mfn) const {
        return bytes_.data() + static_cast<std::size_t>(mfn) * kPageSize;
    }
    [[nodiscard]] std::span<std::byte> bytes() const { return bytes_; }

private:
    [[nodiscard]] std::uint64_t* word_ptr(std::uint32_t mfn, std::uint32_t word) const {
        return reinterpret_cast<std::uint64_t*>(frame(mfn)) + word; // NOLINT: raw machine memory
    }
    std::span<std::byte> bytes_;
};

struct Concrete {
    using Bool = bool;
    using U8 = std::uint8_t;
    using U16 = std::uint16_t;
    using U32 = std::uint32_t;
    using U64 = std::uint64_t;
    template <class T>
    using Array = FlatArray<T>;
    using Memory = ConcreteMemory;

    template <class To, class From>
    static constexpr To cast(From x) {
        return static_cast<To>(x);
    }
    template <class T>
    static constexpr T select(bool c, T a, T b) {
        return c ? a : b;
    }
    // The running core has no seeded bugs: every mutation point folds away
    // (ENSO_MUTATION in mutation.hpp).
    static constexpr bool kMutable = false;
    static constexpr bool mutation(Mutation /*m*/) { return false; }
};

} // namespace enso::core
