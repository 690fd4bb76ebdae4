// A guest for dispatcher tests: domain d with one argument frame, addressed
// by machine address until the guest has page tables of its own.
#pragma once

#include "test_machine.hpp"

#include <cstring>

namespace enso::test {

struct Guest {
    TestMachine& m;
    std::uint16_t d;
    std::uint32_t args;

    Guest(TestMachine& machine, std::uint16_t dom) : m(machine), d(dom) {
        m.make_domain(d);
        args = m.frame(d);
    }

    [[nodiscard]] std::uint64_t at(std::size_t offset = 0) const {
        return (std::uint64_t{args} << kPageShift) + offset;
    }
    template <class T>
    void put(std::size_t offset, const T& v) {
        std::memcpy(m.core().state().mem.frame(args) + offset, &v, sizeof v);
    }
    template <class T>
    T get(std::size_t offset) {
        T v{};
        std::memcpy(&v, m.core().state().mem.frame(args) + offset, sizeof v);
        return v;
    }
    long call(std::uint64_t nr, std::uint64_t a0 = 0, std::uint64_t a1 = 0, std::uint64_t a2 = 0,
              std::uint64_t a3 = 0, std::uint64_t a4 = 0) {
        return m.dispatch().call(d, nr, {a0, a1, a2, a3, a4});
    }
};

} // namespace enso::test
