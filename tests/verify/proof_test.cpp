// The proof engine on the smallest handlers: pin, unpin and new_baseptr
// proved; and a deliberately broken copy of pin_table refuted, with a
// counterexample naming the rule it breaks.
#include "hvcore/core/pv_mmu.hpp"
#include "verify/handler_catalog.hpp"
#include "verify_test_support.hpp"

#include <catch2/catch.hpp>

namespace enso::verify {

namespace {

using namespace core;

// The bug the tests found in pin_table before it was fixed: no check that
// the level is a page-table level, so a pinned frame need not be a table.
struct BrokenPinTable {
    template <class V>
    static Rc run(State<V>& s, const Args<V>& a) {
        auto d = a.u16(0);
        auto f = a.u32(1);
        auto level = a.u8(2);
        if (!owned_by<V>(s, f, d) || frame_has<V>(s, f, kFramePinned)) {
            return kEINVAL;
        }
        if (s.frames.count.get(f) >= kMaxRefCount) {
            return kEOVERFLOW;
        }
        if (Rc rc = get_page_type<V>(s, f, level); rc != kOk) {
            return rc;
        }
        get_page<V>(s, f);
        frame_set<V>(s, f, kFramePinned);
        return kOk;
    }
};

// A reference taken and dropped again: every array put_page stores to
// (owner, type, flags, tot_pages, ...) is left as it was, unless the frame
// had no reference before (which the invariants rule out for an owned frame).
struct PinAndDrop {
    template <class V>
    static Rc run(State<V>& s, const Args<V>& a) {
        auto d = a.u16(0);
        auto f = a.u32(1);
        if (!owned_by<V>(s, f, d)) {
            return kEINVAL;
        }
        if (Rc rc = get_page<V>(s, f); rc != kOk) {
            return rc;
        }
        put_page<V>(s, f);
        return kOk;
    }
};

// ... and one taken twice, dropped once: a reference nothing holds.
struct PinTwiceDropOnce {
    template <class V>
    static Rc run(State<V>& s, const Args<V>& a) {
        auto d = a.u16(0);
        auto f = a.u32(1);
        if (!owned_by<V>(s, f, d) || s.frames.count.get(f) >= kMaxRefCount - 1) {
            return kEINVAL;
        }
        get_page<V>(s, f);
        get_page<V>(s, f);
        put_page<V>(s, f);
        return kOk;
    }
};

// The same bug reached two ways: a branch on an argument that changes
// nothing, so each path of one way ends in the state of a path of the other.
struct BrokenPinTwoWays {
    template <class V>
    static Rc run(State<V>& s, const Args<V>& a) {
        if (a.u8(3) == 0) {
            return BrokenPinTable::run(s, a);
        }
        return BrokenPinTable::run(s, a);
    }
};

} // namespace

HandlerSpec broken_pin_spec() {
    return make_spec<BrokenPinTable>("broken_pin_table", "mmu", "pin_table without its level check",
                                     {{"d", 16}, {"frame", 32}, {"level", 8}}, caller_is_live);
}

TEST_CASE("proof: pin, unpin and new_baseptr keep the invariants", "[proof]") {
    for (const char* name : {"pin_table", "unpin_table", "new_baseptr"}) {
        const auto* spec = find_handler(name);
        REQUIRE(spec != nullptr);
        const auto out = run_handlers({spec}, test::run_options());
        test::report(out[0]);
        CHECK(out[0].proof.ok_paths > 0);
        REQUIRE(out[0].proved());
    }
}

// Paths split over threads: each shard proves its share, the outcome is the
// one handler's (every path explored once per shard, each proved once).
TEST_CASE("proof: a handler split over two threads is proved path for path as on one", "[proof]") {
    const auto* spec = find_handler("pin_table");
    REQUIRE(spec != nullptr);
    RunOptions one = test::run_options();
    RunOptions two = one;
    two.jobs = 2;
    const auto a = run_handlers({spec}, one);
    const auto b = run_handlers({spec}, two);
    test::report(b[0]);
    REQUIRE(a[0].proved());
    REQUIRE(b[0].proved());
    CHECK(b[0].proof.paths == a[0].proof.paths);
    CHECK(b[0].proof.ok_paths == a[0].proof.ok_paths);
    CHECK(b[0].proof.queries == a[0].proof.queries);
    CHECK(b[0].proof.skipped == a[0].proof.skipped);
    // The work count comes with every proof that solved something, on one
    // thread or split over two.
    CHECK(a[0].proof.solver_work > 0);
    CHECK(b[0].proof.solver_work > 0);

    // A refutation found by either shard is the handler's.
    const HandlerSpec broken = broken_pin_spec();
    const auto r = run_handlers({&broken}, two);
    CHECK(r[0].status() == "refuted");
}

// Paths that end in one post-state are proved once, under the disjunction
// of their conditions: a failure on any of them is still found.
TEST_CASE("proof: paths that end in the same state are proved once, and a bad one is still "
          "refuted",
          "[proof]") {
    const HandlerSpec once = broken_pin_spec();
    const HandlerSpec twice = make_spec<BrokenPinTwoWays>(
        "broken_pin_two_ways", "mmu", "pin_table without its level check, reached two ways",
        {{"d", 16}, {"frame", 32}, {"level", 8}, {"how", 8}}, caller_is_live);
    ProofOptions o;
    o.explore_only = true;
    const auto a = prove_handler(once, o);
    const auto b = prove_handler(twice, o);
    REQUIRE(a.paths > 1);
    CHECK(b.paths == 2 * a.paths);
    CHECK(b.end_states == a.end_states);
    CHECK(a.end_states < a.paths); // its failures all leave the state alone

    const auto r = prove_handler(twice);
    bool names_the_rule = false;
    for (const auto& f : r.failures) {
        names_the_rule = names_the_rule || f.invariant == "pinned_is_pagetable";
    }
    CHECK(names_the_rule);

    // grant_unmap: how the caller named the PTE (no address, its machine
    // address, its virtual address through a walk) is no part of the state
    // the unmap leaves.
    const auto* unmap = find_handler("grant_unmap");
    REQUIRE(unmap != nullptr);
    const auto u = prove_handler(*unmap, o);
    CHECK(u.end_states < u.ok_paths);
}

// Equal work counts are how two runs show they asked z3 the same queries, so
// a handler's count must not depend on what its thread proved before it (it
// did while a thread kept one context: pin_table did 3.88M alone and 3.75M
// after two other handlers).
TEST_CASE("proof: a handler's z3 work is the same alone and after other handlers", "[proof]") {
    const auto* pin = find_handler("pin_table");
    const auto* unpin = find_handler("unpin_table");
    const auto* baseptr = find_handler("new_baseptr");
    REQUIRE(pin != nullptr);
    REQUIRE(unpin != nullptr);
    REQUIRE(baseptr != nullptr);
    const RunOptions one = test::run_options(); // one thread: the others run first on it
    const auto alone = run_handlers({pin}, one);
    const auto after = run_handlers({baseptr, unpin, pin}, one);
    REQUIRE(alone[0].proved());
    REQUIRE(after[2].proved());
    CHECK(alone[0].proof.solver_work > 0);
    CHECK(after[2].proof.solver_work == alone[0].proof.solver_work);
}

TEST_CASE("proof: a pin that does not check the level is refuted", "[proof][mutant]") {
    const HandlerSpec broken = broken_pin_spec();
    ProofOptions o;
    o.counterexamples = true;
    const auto r = prove_handler(broken, o);
    bool names_the_rule = false;
    for (const auto& f : r.failures) {
        names_the_rule = names_the_rule || f.invariant == "pinned_is_pagetable";
        if (f.invariant == "pinned_is_pagetable") {
            REQUIRE(f.counterexample.has_value());
            CHECK(f.counterexample->checks == std::vector<std::string>{"pinned_is_pagetable"});
        }
    }
    REQUIRE(names_the_rule);
}

// A path's stores that provably leave an array as it was are undone before
// its goals (ProofOptions::restore_unchanged): the invariants are then
// proved of fewer arrays, never of a state the handler did not reach.
TEST_CASE("proof: arrays a path stores to but leaves as they were are not goals, and a "
          "reference left over still is",
          "[proof]") {
    const std::vector<ArgSpec> args = {{"d", 16}, {"frame", 32}};
    const HandlerSpec balanced =
        make_spec<PinAndDrop>("pin_and_drop", "mmu", "get_page, put_page", args, caller_is_live);
    ProofOptions with;
    ProofOptions without;
    without.restore_unchanged = false;
    const auto a = prove_handler(balanced, with);
    const auto b = prove_handler(balanced, without);
    REQUIRE(a.proved());
    REQUIRE(b.proved());
    CHECK(a.restored > 0);
    CHECK(b.restored == 0);
    CHECK(a.skipped > b.skipped); // the restored arrays' invariants

    const HandlerSpec leaky = make_spec<PinTwiceDropOnce>(
        "pin_twice_drop_once", "mmu", "get_page twice, put_page once", args, caller_is_live);
    const auto r = prove_handler(leaky, with);
    bool refcount = false;
    for (const auto& f : r.failures) {
        refcount = refcount || f.invariant.starts_with("refcount");
    }
    CHECK(refcount);
    CHECK_FALSE(r.proved());
}

} // namespace enso::verify
