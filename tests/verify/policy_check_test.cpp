// The concrete policy check (verify/concrete_policy_check.hpp), which the
// replay uses to confirm a policy goal's counterexample: quiet on calls the
// policy allows, and naming the goal a seeded bug breaks.
#include "verify/concrete_policy_check.hpp"
#include "verify/concrete_replay.hpp"
#include "verify/handler_catalog.hpp"
#include "verify/mutation_switch.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

namespace enso::verify {

namespace {

// Runs catalogue handler `name` on the machine and checks the policy on
// the call.
struct Call {
    core::Rc rc = 0;
    std::vector<core::Violation> violations;
    [[nodiscard]] bool reports(const std::string& check) const {
        return std::any_of(violations.begin(), violations.end(),
                           [&](const auto& v) { return v.check == check; });
    }
};

Call call(ConcreteMachine& m, const std::string& name, const std::vector<std::uint64_t>& args,
          core::Mutation bug = core::Mutation::kNone) {
    const HandlerSpec* h = find_handler(name);
    REQUIRE(h != nullptr);
    const ConcreteMachine before(m);
    Call c;
    {
        const MutationScope on(bug);
        c.rc = h->concrete(m.replay_state(), Args<core::Concrete>(args));
    }
    c.violations = check_policy(*h, before.state(), m.state(), args, c.rc);
    for (const auto& v : c.violations) {
        UNSCOPED_INFO(name << ": " << v.check << ": " << v.detail);
    }
    return c;
}

} // namespace

TEST_CASE("policy check: quiet on allowed calls and names the goal a seeded bug breaks",
          "[replay]") {
    using core::Mutation;
    ConcreteMachine m(64);
    REQUIRE(call(m, "domain_create", {1, 16, 10}).rc == core::kOk);
    REQUIRE(call(m, "domain_create", {2, 16, 11}).rc == core::kOk);

    // d1 offers port 1 to d2, d2 binds it and signals: all allowed.
    for (const auto& [name, args] : std::vector<std::pair<std::string, std::vector<std::uint64_t>>>{
             {"evtchn_alloc_unbound", {1, DOMID_SELF, 2, 1}},
             {"evtchn_bind_interdomain", {2, 1, 1, 1}},
             {"evtchn_send", {2, 1}},
             {"evtchn_alloc_unbound", {1, DOMID_SELF, 2, 2}},
             {"evtchn_bind_interdomain", {2, 1, 2, 3}}}) {
        const Call c = call(m, name, args);
        CHECK(c.rc == core::kOk);
        CHECK(c.violations.empty());
    }
    // Signalling d1's port 3 (not bound to d2) instead of port 2.
    const Call wrong_port = call(m, "evtchn_send", {2, 3}, Mutation::kSendWrongPort);
    CHECK(wrong_port.reports("policy/memory"));
    // d2 allocates a port in d1's space.
    const Call foreign = call(m, "evtchn_alloc_unbound", {2, 1, 2, 5});
    CHECK(foreign.rc == core::kEPERM);
    CHECK(foreign.violations.empty());
    const Call planted = call(m, "evtchn_alloc_unbound", {2, 1, 2, 5}, Mutation::kAllocForeignPort);
    CHECK(planted.rc == core::kOk);
    CHECK(planted.reports("policy/consent"));
    CHECK(planted.reports("policy/ports"));

    // A frame with an earlier owner's words is scrubbed when handed out.
    m.state().mem.store64(20, 7, 0xfeed);
    m.state().mem.store64(21, 7, 0xfeed);
    const Call fresh = call(m, "increase_reservation", {1, 20});
    CHECK(fresh.rc == core::kOk);
    CHECK(fresh.violations.empty());
    const Call dirty = call(m, "increase_reservation", {1, 21}, Mutation::kFrameNotScrubbed);
    CHECK(dirty.rc == core::kOk);
    CHECK(dirty.reports("policy/fresh_frame_zeroed"));
}

} // namespace enso::verify
