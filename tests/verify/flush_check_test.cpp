// The concrete owed-flush check (verify/flush_check.hpp), which confirms the
// replay of a counterexample to a flush goal: on real calls of the core it
// reports a withdrawal exactly when the domain's effects lack the flush.
#include "hvcore/core/domain_lifecycle.hpp"
#include "verify/concrete_replay.hpp"
#include "verify/flush_check.hpp"

#include <catch2/catch.hpp>

namespace enso::verify {

namespace {

using namespace core;
using C = Concrete;

std::vector<std::string> checks_of(const std::vector<Violation>& v) {
    std::vector<std::string> out;
    for (const auto& x : v) {
        out.push_back(x.check);
    }
    return out;
}

void drop_flush(CState& s, std::uint16_t d) {
    s.doms.effects.set(d, s.doms.effects.get(d) & ~kEffectTlbFlush);
}

} // namespace

TEST_CASE("flush: the concrete check reports a withdrawal without a flush, and only that",
          "[flush]") {
    ConcreteMachine before(64);
    CState& s = before.state();
    REQUIRE(domain_create<C>(s, 1, 16, 1) == kOk);
    REQUIRE(reserve_frame<C>(s, 1, 2) == kOk);
    // Typed writable once, as a writable mapping leaves it (type count zero).
    REQUIRE(get_page_type<C>(s, 2, kTypeWritable) == kOk);
    put_page_type<C>(s, 2);
    s.doms.effects.set(1, 0);
    REQUIRE(check_owed_flushes(s, s).empty());

    SECTION("a released frame") {
        ConcreteMachine after(before);
        REQUIRE(release_frame<C>(after.state(), 1, 2) == kOk);
        CHECK(check_owed_flushes(s, after.state()).empty());
        drop_flush(after.state(), 1);
        CHECK(checks_of(check_owed_flushes(s, after.state())) ==
              std::vector<std::string>{"flush/owed"});
    }
    SECTION("a writable frame becoming a page table") {
        ConcreteMachine after(before);
        REQUIRE(begin_validation<C>(after.state(), 2, kTypeL1) == kOk);
        CHECK(check_owed_flushes(s, after.state()).empty());
        drop_flush(after.state(), 1);
        CHECK(checks_of(check_owed_flushes(s, after.state())) ==
              std::vector<std::string>{"flush/owed"});
    }
    SECTION("a flush owed before and dropped") {
        s.doms.effects.set(1, kEffectTlbFlush);
        ConcreteMachine after(before);
        drop_flush(after.state(), 1);
        CHECK(checks_of(check_owed_flushes(s, after.state())) ==
              std::vector<std::string>{"flush/kept"});
    }
    SECTION("a domain that is not live after the call is owed nothing") {
        ConcreteMachine after(before);
        REQUIRE(release_frame<C>(after.state(), 1, 2) == kOk);
        drop_flush(after.state(), 1);
        after.state().doms.state.set(1, kDomDying);
        CHECK(check_owed_flushes(s, after.state()).empty());
    }
}

} // namespace enso::verify
