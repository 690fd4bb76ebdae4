// The seeded bugs (verify/mutants/, hvcore/core/mutation.hpp): every mutation
// point of the core is listed once, reached by the symbolic run of its
// handler (switching it on changes the handler's paths or the states they
// end in), and killed by a counterexample the concrete replay confirms.
#include "verify/handler_catalog.hpp"
#include "verify/mutants/mutant_catalog.hpp"
#include "verify/path_explorer.hpp"
#include "verify/symbolic_invariants.hpp"
#include "verify_test_support.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <tuple>

namespace enso::verify {

namespace {

// What the handler does on each feasible path: its return code, its
// condition and the arrays it ends in, as term ids (equal terms share an id
// while they live, and every state lives until the comparison is done).
using PathEnd = std::tuple<core::Rc, unsigned, std::vector<unsigned>>;

struct Exploration {
    std::set<PathEnd> ends;
    std::vector<SState> states; // keeps the terms alive
};

Exploration explore(const HandlerSpec& spec, const SState& before, const Args<Symbolic>& args,
                    const z3::expr& pre) {
    Exploration out;
    Explorer explorer(sym_ctx());
    explorer.assume(pre);
    if (spec.precondition) {
        explorer.assume(spec.precondition(before, args));
    }
    explorer.explore(
        [&] {
            SState after = before;
            const core::Rc rc = spec.symbolic(after, args);
            std::vector<unsigned> key;
            for (const auto& [name, a] : state_arrays(after)) {
                key.push_back(a.id());
            }
            out.ends.insert({rc, explorer.decisions().id(), key});
            out.states.push_back(std::move(after));
        },
        spec.max_paths);
    return out;
}

} // namespace

TEST_CASE("mutants: every mutation point of the core is one listed seeded bug", "[mutant]") {
    std::map<core::Mutation, int> listed;
    std::set<std::string> names;
    for (const auto& e : mutant_entries()) {
        ++listed[e.mutation];
        names.insert(e.name);
        CHECK_FALSE(e.expected_checks.empty());
        CHECK_FALSE(e.advisory.empty());
    }
    CHECK(names.size() == mutant_entries().size());
    for (std::size_t i = 0; i < core::kMutations.size(); ++i) {
        const auto& info = core::kMutations[i];
        INFO(info.point << ": " << info.bug);
        CHECK(static_cast<std::size_t>(info.mutation) == i + 1); // enum order
        CHECK(listed[info.mutation] == 1);
        CHECK_FALSE(info.bug.empty());
    }
    std::set<std::string> groups;
    for (const auto& m : mutant_catalog()) {
        groups.insert(m.spec.group);
    }
    CHECK(mutant_catalog().size() >= 18);
    CHECK(groups.count("mmu") == 1);
    CHECK(groups.count("grant") == 1);
    CHECK(groups.count("event") == 1);
    CHECK(groups.count("memory") == 1);
    for (const auto& p : pending_mutants()) {
        WARN(p.name << " is not run: "
                    << (p.held_back.empty() ? "waits for catalogue handler " + p.handler
                                            : p.held_back));
    }
}

TEST_CASE("mutants: every mutation point is reached by the symbolic run of its handler",
          "[mutant]") {
    for (const auto& m : mutant_catalog()) {
        const FreshContext context;
        const HandlerSpec* real = find_handler(m.handler);
        REQUIRE(real != nullptr);
        const SState before = make_symbolic_state();
        const z3::expr witness = make_pte_witness();
        const Args<Symbolic> args(real->args);
        const z3::expr pre = state_assumptions(StateView(before, witness, bv(0, 32)));
        const Exploration plain = explore(*real, before, args, pre);
        const Exploration mutated = explore(m.spec, before, args, pre);
        INFO(m.name << ": " << plain.ends.size() << " paths without the bug, "
                    << mutated.ends.size() << " with it");
        CHECK(plain.ends != mutated.ends);
    }
}

// The kill check of every seeded bug is the CTest run of
// `enso verify --mutant all` (tests/verify/CMakeLists.txt), not repeated here.

} // namespace enso::verify
