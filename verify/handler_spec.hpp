// A handler as the verifier sees it: its arguments, the one template that
// runs it (instantiated symbolically for the proof and concretely for the
// replay of a counterexample), and what its caller guarantees.
#pragma once

#include "hvcore/core/concrete_domain.hpp"
#include "hvcore/core/state.hpp"
#include "verify/replay_domain.hpp"
#include "verify/symbolic_invariants.hpp"
#include "verify/symbolic_state.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace enso::verify {

struct ArgSpec {
    std::string name;
    unsigned bits; // 1 for a flag
};

// A handler's arguments in a value domain: fresh constants when symbolic,
// numbers (from a counterexample) when concrete.
template <class V>
class Args;

template <>
class Args<Symbolic> {
public:
    explicit Args(const std::vector<ArgSpec>& specs);
    [[nodiscard]] Symbolic::U8 u8(std::size_t i) const { return Symbolic::U8(at(i, 8)); }
    [[nodiscard]] Symbolic::U16 u16(std::size_t i) const { return Symbolic::U16(at(i, 16)); }
    [[nodiscard]] Symbolic::U32 u32(std::size_t i) const { return Symbolic::U32(at(i, 32)); }
    [[nodiscard]] Symbolic::U64 u64(std::size_t i) const { return Symbolic::U64(at(i, 64)); }
    [[nodiscard]] Symbolic::Bool flag(std::size_t i) const;
    [[nodiscard]] const z3::expr& raw(std::size_t i) const { return values_.at(i); }
    [[nodiscard]] std::size_t size() const { return values_.size(); }

private:
    [[nodiscard]] z3::expr at(std::size_t i, unsigned bits) const;
    std::vector<z3::expr> values_;
};

template <>
class Args<core::Concrete> {
public:
    explicit Args(std::vector<std::uint64_t> values) : values_(std::move(values)) {}
    [[nodiscard]] std::uint8_t u8(std::size_t i) const {
        return static_cast<std::uint8_t>(values_.at(i));
    }
    [[nodiscard]] std::uint16_t u16(std::size_t i) const {
        return static_cast<std::uint16_t>(values_.at(i));
    }
    [[nodiscard]] std::uint32_t u32(std::size_t i) const {
        return static_cast<std::uint32_t>(values_.at(i));
    }
    [[nodiscard]] std::uint64_t u64(std::size_t i) const { return values_.at(i); }
    [[nodiscard]] bool flag(std::size_t i) const { return values_.at(i) != 0; }

private:
    std::vector<std::uint64_t> values_;
};

// The replay's domain takes the concrete arguments as they are.
template <>
class Args<ReplayConcrete> : public Args<core::Concrete> {
public:
    explicit Args(const Args<core::Concrete>& a) : Args<core::Concrete>(a) {}
};

using CState = core::State<core::Concrete>;

struct HandlerSpec {
    std::string name;
    std::string group;   // "mmu", "grant", "event", "memory", "domain"
    std::string summary; // what the handler is, for listings
    std::vector<ArgSpec> args;
    std::function<core::Rc(SState&, const Args<Symbolic>&)> symbolic;
    // Runs in the replay's domain (replay_domain.hpp), so that a mutant's
    // replay runs the mutated handler.
    std::function<core::Rc(RState&, const Args<core::Concrete>&)> concrete;
    // What the caller guarantees about the state and the arguments (the
    // caller is a live domain, a destroy step's order, ...); may be empty.
    std::function<z3::expr(const SState&, const Args<Symbolic>&)> precondition;
    // Universally quantified preconditions, instantiated like the
    // invariants (e.g. "every port of the domain is closed").
    std::vector<Invariant> assumed;
    // Domain destroy runs in a phase of its own, in which the frames of the
    // domain being torn down (argument 0) may stay allocated to it while it
    // is dying; the other handlers never run inside it.
    enum class Phase { Normal, Destroying };
    Phase phase_before = Phase::Normal;
    Phase phase_after = Phase::Normal;
    std::size_t max_paths = 4000;
    // Table work (table_work_steps.hpp): a step runs over a ghost progress
    // (frame -> 16 bits, zero outside table work). Set, the pre-state is
    // seen through the ghost and the post-state through what this returns
    // for it (`ok`: the step returned kOk); empty for every other handler.
    std::function<z3::expr(const z3::expr& progress, const Args<Symbolic>& args, bool ok)>
        progress_after;
    // The page-table word whose liveness the step moves (an entry it
    // validated or released): treated as written even if it was not stored.
    std::function<std::pair<z3::expr, z3::expr>(const Args<Symbolic>&)> progress_word;
    // Rules assumed of the pre-state and proved of the post-state besides
    // the invariants (the ghost's own invariant).
    std::vector<Invariant> kept;
    // The guest step: exempt from core_kept_rules (it writes guest memory).
    bool guest = false;
    // Table work: the whole operation a step is part of, which the replay
    // runs when the step's own replay confirms nothing (it cannot rebuild
    // the ghost's half-done table, and the concrete checker counts a
    // table's entries only once it is validated). `whole_start` puts the
    // built machine where the operation starts, before its counts are
    // recomputed; `whole` runs the operation. Empty for other handlers.
    std::function<void(CState&, const std::vector<std::uint64_t>& args)> whole_start;
    std::function<core::Rc(RState&, const Args<core::Concrete>&)> whole;
};

// A spec from a type H with `template <class V> static core::Rc run(State<V>&,
// const Args<V>&)`: the same template in both semantics.
template <class H>
HandlerSpec make_spec(std::string name, std::string group, std::string summary,
                      std::vector<ArgSpec> args,
                      std::function<z3::expr(const SState&, const Args<Symbolic>&)> pre = {}) {
    HandlerSpec h;
    h.name = std::move(name);
    h.group = std::move(group);
    h.summary = std::move(summary);
    h.args = std::move(args);
    h.symbolic = [](SState& s, const Args<Symbolic>& a) { return H::template run<Symbolic>(s, a); };
    h.concrete = [](RState& s, const Args<core::Concrete>& a) {
        return H::template run<ReplayConcrete>(s, Args<ReplayConcrete>(a));
    };
    h.precondition = std::move(pre);
    return h;
}

} // namespace enso::verify
