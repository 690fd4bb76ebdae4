// The two semantics checked against each other: a counterexample the
// verifier finds is replayed through the concrete handler and the concrete
// invariant checker, which must report the same violation on a pre-state
// it finds sound; and the picture of it is a Graphviz graph with the
// violating edge in red.
#include "hvcore/core/invariants.hpp"
#include "verify/handler_catalog.hpp"
#include "verify/mutants/mutant_catalog.hpp"
#include "verify/state_graph.hpp"
#include "verify_test_support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <unistd.h>

namespace enso::verify {

HandlerSpec broken_pin_spec(); // proof_test.cpp

namespace {

bool reports(const std::vector<core::Violation>& v, const std::string& check) {
    return std::any_of(v.begin(), v.end(), [&](const auto& x) { return x.check == check; });
}

} // namespace

TEST_CASE("replay: the broken pin's counterexample breaks the same rule concretely", "[replay]") {
    const HandlerSpec broken = broken_pin_spec();
    const auto r = prove_handler(broken);
    const QueryFailure* f = nullptr;
    for (const auto& x : r.failures) {
        if (x.invariant == "pinned_is_pagetable" && x.counterexample) {
            f = &x;
        }
    }
    REQUIRE(f != nullptr);
    const Replay replay = replay_counterexample(broken, *f->counterexample);
    INFO(replay.summary);
    REQUIRE(replay.built);
    CHECK(replay.pre.empty()); // the concrete checker finds the pre-state sound
    REQUIRE(replay.ran);
    CHECK(replay.rc == core::kOk);
    CHECK(reports(replay.post, "pinned_is_pagetable"));
    CHECK(replay.confirmed);

    const std::string dot = render_dot(*f->counterexample, replay);
    CHECK(dot.find("digraph") != std::string::npos);
    CHECK(dot.find("color=red") != std::string::npos);
    CHECK(dot.find("pinned_is_pagetable") != std::string::npos);
}

TEST_CASE("replay: a page-table mutant's counterexample is drawn with its red edge", "[replay]") {
    const Mutant* m = find_mutant("xsa182_fast_path_rw");
    REQUIRE(m != nullptr);
    const auto out = run_mutants({m}, test::run_options());
    REQUIRE(out[0].killed);
    const auto& [c, r] = out[0].outcome.counterexamples.back();
    REQUIRE(r.confirmed);
    // The RW flip breaks either rule first: a writable mapping of a page
    // table, or a writable mapping that holds no writable type reference.
    CHECK((reports(r.post, "no_writable_pagetable") || reports(r.post, "type_count_matches")));
    const std::string dot = render_dot(c, r);
    CHECK(dot.find("color=red") != std::string::npos);
    const std::string dir = "/tmp/enso-verify-replay-" + std::to_string(::getpid());
    const auto files = write_counterexamples(out[0].outcome, dir, "xsa182");
    CHECK(std::any_of(files.begin(), files.end(),
                      [](const std::string& f) { return f.ends_with(".dot"); }));
    if (std::system("command -v dot >/dev/null 2>&1") == 0) {
        CHECK(std::any_of(files.begin(), files.end(),
                          [](const std::string& f) { return f.ends_with(".svg"); }));
    }
}

// A self-grant (granter == grantee) is a machine the core allows; a model
// that uses one must be built as it is, or the replay runs a different
// call (this lost XSA-230's kill once self-grants came in). And one core
// frame never serves two grant-table slots, whose status bits would then
// be one word.
TEST_CASE("replay: builds a self-grant's mapping and gives each grant-table slot its own frame",
          "[replay]") {
    using namespace core;
    const HandlerSpec* copy = find_handler("grant_copy");
    REQUIRE(copy != nullptr);
    Counterexample c;
    c.handler = "grant_copy";
    c.nr_frames = 64;
    c.small = true;
    for (const auto& a : copy->args) {
        c.args.emplace_back(a.name, 0);
    }
    c.doms[0] = DomRecord{.state = kDomLive, .shared_info = 48, .gnttab_nr_frames = 2};
    c.gnttab_frames[0] = 32;
    c.gnttab_frames[1] = 32; // the model's: both slots on frame 32
    const auto xen = static_cast<std::uint8_t>(kFrameAllocated | kFrameXenRef);
    c.frames[32] = FrameRecord{.owner = 0, .type = kTypeWritable, .flags = xen};
    c.frames[48] = FrameRecord{.owner = 0, .type = kTypeWritable, .flags = xen};
    c.frames[2] = FrameRecord{.owner = 0, .type = kTypeWritable, .flags = kFrameAllocated};
    c.grants[1] = GrantRecord{.readers = 1, .frame = 2, .grantee = 0};
    c.maps[1] = MapRecord{
        .flags = static_cast<std::uint8_t>(kMapInUse | kMapReadonly), .granter = 0, .ref = 1};
    c.words[{32, 1}] = GTF_permit_access | (std::uint64_t{2} << 32); // ref 1 grants frame 2 to d0
    const Replay r = replay_counterexample(*copy, c);
    INFO(r.summary);
    REQUIRE(r.built);
    CHECK(r.pre.empty());
    const CState& s = r.before->state();
    CHECK((s.grants.map_flags.get(1) & kMapInUse) != 0);
    CHECK(s.grants.act_readers.get(grant_index<Concrete>(0, 1)) == 1);
    CHECK(s.frames.count.get(2) == 2); // the allocation and the mapping
    CHECK(s.doms.gnttab_frame.get(gnttab_frame_index<Concrete>(0, 0)) !=
          s.doms.gnttab_frame.get(gnttab_frame_index<Concrete>(0, 1)));
}

// A table-work step's counterexample describes a half-done table the
// replay cannot rebuild; the replay then runs the whole table operation
// the step belongs to, from the state a handler leaves when it asks for
// that work, with the seeded bug switched on.
TEST_CASE("replay: a table-work mutant is confirmed on the whole table operation", "[replay]") {
    for (const char* name :
         {"validate_takes_no_refs", "release_entry_keeps_refs", "validated_after_failure"}) {
        INFO(name);
        const Mutant* m = find_mutant(name);
        REQUIRE(m != nullptr);
        const auto out = run_mutants({m}, test::run_options());
        REQUIRE(out[0].killed);
        const auto& [c, r] = out[0].outcome.counterexamples.back();
        INFO(r.summary);
        CHECK(r.confirmed);
        CHECK(r.summary.find("whole table operation") != std::string::npos);
    }
}

} // namespace enso::verify
