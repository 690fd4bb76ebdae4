// The hostile-guest suite: one TEST_CASE per attack (tests/hostile/<name>),
// named after it, each run with the attacker on either transport beside a
// victim (hostile_scene.hpp). Pass: the attacker's attempts were refused with
// the right errors (its own checks, reported on its console and in its
// answer) or it was stopped for the expected reason; every invariant holds;
// the victim verified its memory, ended its grants and still answers; no
// frame leaked.
#include "bench/blk/blk_session.hpp"
#include "bench/blk/pattern_image.hpp"
#include "hostile_scene.hpp"
#include "hvcore/abi/guest_layout.hpp"
#include "hvcore/kvm/kvm_error.hpp"
#include "kvm_or_skip.hpp"

#include <xen/event_channel.h>
#include <xen/grant_table.h>
#include <xen/memory.h>

#include <algorithm>
#include <memory>

using namespace enso::test;
using enso::core::Core;
using enso::core::Dispatcher;

namespace {

// Attacks that need nothing but the victim's id, one of its frames and its
// root: the go command carries those, and the attacker must PASS.
void simple_attack(const char* name) {
    kvm_or_skip();
    each_transport([&](Transport t) {
        Scene s(name, t);
        s.require_pass(s.go({s.victim, s.victim_frame(), s.victim_l4()}));
        s.finish();
    });
}

// Attacks on a grant the victim made: for the attacker (read-only or
// writable) or for domain 0. kArgExtra carries the fill byte.
enum class GrantFor { attacker_ro, attacker_rw, dom0 };

void grant_attack(const char* name, GrantFor to, std::uint8_t fill) {
    kvm_or_skip();
    each_transport([&](Transport t) {
        Scene s(name, t);
        const auto g = s.victim_grant(to == GrantFor::dom0 ? 0 : s.attacker,
                                      to != GrantFor::attacker_rw, fill);
        s.require_pass(
            s.go({s.victim, s.victim_frame(), s.victim_l4(), g.ref, g.frame, std::uint64_t{fill}}));
        s.finish();
    });
}

// What the core says about every invariant, as one string per violation.
std::vector<enso::core::Violation> violations(Monitor& m) {
    return m.with_core(
        [](Core& c, Dispatcher&) { return enso::core::check_invariants(c.state()); });
}

} // namespace

// --- The PV MMU --------------------------------------------------------------

TEST_CASE("map_foreign_frame") {
    simple_attack("map_foreign_frame");
}

TEST_CASE("map_own_pagetable_rw") {
    simple_attack("map_own_pagetable_rw");
}

TEST_CASE("fastpath_rw_flip") {
    simple_attack("fastpath_rw_flip");
}

TEST_CASE("superpage_entry") {
    simple_attack("superpage_entry");
}

TEST_CASE("linear_pagetable") {
    simple_attack("linear_pagetable");
}

TEST_CASE("retype_live_table") {
    simple_attack("retype_live_table");
}

TEST_CASE("unpin_live_root") {
    simple_attack("unpin_live_root");
}

TEST_CASE("baseptr_unpinned") {
    simple_attack("baseptr_unpinned");
}

TEST_CASE("baseptr_foreign") {
    simple_attack("baseptr_foreign");
}

TEST_CASE("mmu_update_foreign") {
    simple_attack("mmu_update_foreign");
}

TEST_CASE("release_pinned_table") {
    simple_attack("release_pinned_table");
}

TEST_CASE("write_pagetable_store") {
    kvm_or_skip();
    each_transport([](Transport t) {
        Scene s("write_pagetable_store", t);
        const std::uint64_t va =
            enso::abi::kPhysMapVa + std::uint64_t{s.m.built(s.attacker).l4} * 4096 + 300 * 8;
        const auto out = s.go({s.victim, s.victim_frame(), s.victim_l4()});
        s.require_stopped(out, StopKind::fault);
        CHECK(out.stop->reason.find("triple fault") != std::string::npos);
        CHECK(out.stop->sregs.cr2 == va);
        CHECK(s.console().find("expecting a fault") != std::string::npos);
        s.finish();
    });
}

// --- Grants ------------------------------------------------------------------

TEST_CASE("grant_map_not_addressed") {
    grant_attack("grant_map_not_addressed", GrantFor::dom0, 0x11);
}

TEST_CASE("grant_map_ro_as_rw") {
    grant_attack("grant_map_ro_as_rw", GrantFor::attacker_ro, 0x22);
}

TEST_CASE("grant_map_foreign_pte") {
    grant_attack("grant_map_foreign_pte", GrantFor::attacker_ro, 0x23);
}

TEST_CASE("grant_double_unmap") {
    grant_attack("grant_double_unmap", GrantFor::attacker_rw, 0x33);
}

TEST_CASE("grant_forged_handle") {
    grant_attack("grant_forged_handle", GrantFor::attacker_rw, 0x34);
}

TEST_CASE("grant_unmap_mode") {
    grant_attack("grant_unmap_mode", GrantFor::attacker_rw, 0x35);
}

TEST_CASE("grant_copy_foreign") {
    grant_attack("grant_copy_foreign", GrantFor::dom0, 0x55);
}

TEST_CASE("grant_table_grow") {
    simple_attack("grant_table_grow");
}

// The attacker grants to domain 0 and, while domain 0 maps the frame, ends
// access by force and tries to free the frame. Its clobbering of its own
// grant entry shows only in the status bits (the entry is its memory; the
// core sets the bits from its pins and never reads them back): the core
// works from its own record of the map and is not fooled. Domain 0 keeps
// its mapping of the same frame, with its contents, until it unmaps.
TEST_CASE("grant_end_while_mapped") {
    kvm_or_skip();
    each_transport([](Transport t) {
        Scene s("grant_end_while_mapped", t);
        const auto offer = s.go({s.victim, s.victim_frame(), s.victim_l4()});
        INFO(s.console());
        REQUIRE(offer.completed);
        const auto ref = static_cast<std::uint32_t>(offer.values[0]);
        const auto frame = static_cast<std::uint32_t>(offer.values[1]);
        std::uint32_t handle = 0;
        std::uint64_t bus = 0;
        REQUIRE(s.m.with_core([&](Core& c, Dispatcher&) {
            return c.grant_map(0, s.attacker, ref, GNTMAP_host_map, 0, handle, bus);
        }) == GNTST_okay);
        REQUIRE(bus == std::uint64_t{frame} * 4096);
        const auto* bytes = reinterpret_cast<const std::uint8_t*>(s.m.memory().frame(frame));
        REQUIRE(std::all_of(bytes, bytes + 4096, [](std::uint8_t b) { return b == 0x44; }));

        const auto attack = s.go({s.victim});
        REQUIRE(attack.completed);
        s.m.with_core([&](Core& c, Dispatcher&) {
            CHECK(c.state().frames.owner.get(frame) == s.attacker);
            CHECK(c.state().frames.count.get(frame) >= 2); // its own + domain 0's map
        });
        CHECK(std::all_of(bytes, bytes + 4096, [](std::uint8_t b) { return b == 0x44; }));
        for (const auto& v : violations(s.m)) {
            INFO(v.check << ": " << v.detail);
            CHECK(v.check == "grant_status_matches_pins");
            CHECK(v.domains == std::vector<std::uint16_t>{s.attacker});
        }
        REQUIRE(s.m.with_core([&](Core& c, Dispatcher&) { return c.grant_unmap(0, handle, 0); }) ==
                GNTST_okay);
        s.require_invariants("after domain 0 unmapped");
        s.require_pass(s.go({s.victim}));
        s.finish();
    });
}

// --- Event channels ----------------------------------------------------------

TEST_CASE("evtchn_send_closed") {
    simple_attack("evtchn_send_closed");
}

TEST_CASE("evtchn_foreign_port") {
    kvm_or_skip();
    each_transport([](Transport t) {
        Scene s("evtchn_foreign_port", t);
        const std::uint64_t port = s.m.built(s.victim).guest_cmd_port;
        s.require_pass(s.go({s.victim, s.victim_frame(), s.victim_l4(), 0, 0, port}));
        s.finish();
    });
}

TEST_CASE("evtchn_bind_not_offered") {
    kvm_or_skip();
    each_transport([](Transport t) {
        Scene s("evtchn_bind_not_offered", t);
        std::uint32_t port = 0;
        REQUIRE(s.m.with_core([&](Core& c, Dispatcher&) {
            return c.evtchn_alloc_unbound(0, s.victim, 0, port);
        }) == enso::core::kOk);
        const std::uint64_t cmd_port = s.m.built(s.victim).guest_cmd_port;
        s.require_pass(s.go({s.victim, s.victim_frame(), s.victim_l4(), cmd_port, 0, port}));
        REQUIRE(s.m.with_core([&](Core& c, Dispatcher&) {
            return c.evtchn_close(s.victim, port);
        }) == enso::core::kOk);
        s.finish();
    });
}

// --- Hypercall arguments -----------------------------------------------------

TEST_CASE("args_outside_memory") {
    simple_attack("args_outside_memory");
}

TEST_CASE("args_straddle_end") {
    kvm_or_skip();
    each_transport([](Transport t) {
        Scene s("args_straddle_end", t);
        s.require_pass(s.go({s.victim, s.victim_frame(), s.victim_l4()}));
        CHECK(s.console().find("XSTRA") == std::string::npos); // nothing half-printed
        s.finish();
    });
}

TEST_CASE("huge_batch") {
    simple_attack("huge_batch");
}

TEST_CASE("multicall_nesting") {
    simple_attack("multicall_nesting");
}

// --- What the monitor reads from a guest -------------------------------------

// Forged and wrong answers, a rewritten seq and an event flood: every
// command returns a forged answer (garbage values, taken as data) well
// within its deadline, and the victim is served throughout.
TEST_CASE("garbage_command_page") {
    kvm_or_skip();
    each_transport([](Transport t) {
        Scene s("garbage_command_page", t);
        const auto go = s.go({s.victim});
        INFO(s.console());
        REQUIRE(go.completed);
        for (std::uint64_t i = 0; i < 6; ++i) {
            const auto out = s.go({i}, std::chrono::seconds(5));
            INFO("command " << i << (out.stop ? ": " + out.stop->describe() : std::string()));
            CHECK(out.completed);
            CHECK(out.host_seconds < 2.0);
            s.require_victim_intact();
        }
        s.leave_running();
        s.finish();
    });
}

namespace {

constexpr std::uint32_t kBlkVictimPages = 6144; // blkfront's grant pool and buffers
constexpr std::uint64_t kImageBytes = 16ULL << 20;

// The victim reads blocks of its own disk and checks every one.
void require_disk_intact(enso::bench::BlkSession& disk, std::uint64_t seed) {
    enso::bench::BlkRunSpec spec;
    spec.pattern = enso::blkio::Pattern::randread;
    spec.count = 64;
    spec.queue_depth = 8;
    spec.seed = seed;
    const auto r = disk.run(spec, std::chrono::seconds(30));
    REQUIRE(r.outcome.completed);
    CHECK(r.outcome.status == 0);
    CHECK(r.stats.ios == spec.count);
    CHECK(r.stats.io_errors == 0);
    CHECK(r.stats.bad_blocks == 0);
    CHECK(r.stats.checked_blocks == spec.count);
}

} // namespace

// A block front end writing garbage into its ring (requests, indices, the
// back end's fields): its back end refuses what it cannot parse, gives up on
// the ring once the indices lie, never stalls the other guest's disk, and
// lets go of every grant when disconnected.
TEST_CASE("ring_garbage") {
    kvm_or_skip();
    each_transport([](Transport t) {
        enso::bench::TempImage victim_image("enso-hostile-victim.img", kImageBytes);
        enso::bench::TempImage attacker_image("enso-hostile-attacker.img", kImageBytes);
        std::unique_ptr<enso::bench::BlkSession> victim_disk;
        const enso::bench::BlkPathConfig config; // persistent grants, polled
        SceneOptions options;
        options.victim_pages = kBlkVictimPages;
        options.prepare = [&](Scene& s) {
            victim_disk = std::make_unique<enso::bench::BlkSession>(
                s.m, s.victim, victim_image.path().string(), false,
                enso::backends::EngineKind::pread, false);
            victim_disk->connect(config);
        };
        Scene s("ring_garbage", t, options);
        require_disk_intact(*victim_disk, 1);
        enso::bench::BlkSession attacker_disk(s.m, s.attacker, attacker_image.path().string(),
                                              false, enso::backends::EngineKind::pread, false);
        attacker_disk.connect(config); // the attacker's first step: it connects
        const auto out = s.go({s.victim}, std::chrono::seconds(60));
        INFO(s.console());
        REQUIRE(out.completed);
        const auto stats = attacker_disk.backend_stats();
        INFO("requests " << stats.server.requests << ", refused " << stats.server.refused
                         << ", grant errors " << stats.server.grant_errors);
        CHECK(stats.server.refused + stats.server.grant_errors + stats.server.io_errors > 0);
        CHECK(stats.broken);
        require_disk_intact(*victim_disk, 2);
        s.require_invariants("with the lying front end's back end attached");
        attacker_disk.disconnect(); // its last step: it ends every grant
        CHECK(s.console().find("hostile: ring_garbage: PASS") != std::string::npos);
        require_disk_intact(*victim_disk, 3);
        s.finish();
        victim_disk->disconnect();
        s.require_invariants("after both disks were disconnected");
    });
}

TEST_CASE("garbage_exitless_slot") {
    simple_attack("garbage_exitless_slot");
}

TEST_CASE("spin_forever") {
    kvm_or_skip();
    each_transport([](Transport t) {
        Scene s("spin_forever", t);
        const auto out = s.go({s.victim}, std::chrono::milliseconds(1500));
        s.require_stopped(out, StopKind::deadline);
        REQUIRE(out.stop->have_regs);
        CHECK(out.stop->regs.rip >= enso::abi::kKernelBaseVa);
        CHECK(out.stop->regs.rip < enso::abi::kMfnListVa);
        CHECK(s.console().find("spinning from now on") != std::string::npos);
        s.finish();
    });
}

TEST_CASE("never_answers") {
    kvm_or_skip();
    each_transport([](Transport t) {
        Scene s("never_answers", t);
        const auto out = s.go({s.victim}, std::chrono::milliseconds(1500));
        s.require_stopped(out, StopKind::deadline);
        CHECK(s.console().find("asleep for good") != std::string::npos);
        s.finish();
    });
}

// The monitor must not post a command into a frame the domain gave away.
TEST_CASE("release_command_page") {
    kvm_or_skip();
    each_transport([](Transport t) {
        Scene s("release_command_page", t);
        const auto go = s.go({s.victim});
        INFO(s.console());
        REQUIRE(go.completed);
        const auto page = static_cast<std::uint32_t>(go.values[0]);
        CHECK(page == s.m.built(s.attacker).command_page);
        REQUIRE(s.wait_console("given back; sleeping"));
        CHECK(s.console().find(": FAIL") == std::string::npos);
        s.m.with_core([&](Core& c, Dispatcher&) {
            CHECK(c.state().frames.count.get(page) == 0); // back in the free pool
        });
        CHECK_THROWS_AS(s.go({1}, std::chrono::seconds(2)), enso::kvm::KvmError);
        s.require_victim_intact();
        s.leave_running();
        s.finish();
    });
}

// --- Resource limits ---------------------------------------------------------

// The attacker takes every frame of its quota, every port, every grant entry
// and maptrack handle; meanwhile the victim and domain 0 are served as
// before (frames, ports, grants, maps); destroying the attacker returns
// every frame it had.
TEST_CASE("exhaust_resources") {
    kvm_or_skip();
    each_transport([](Transport t) {
        Scene s("exhaust_resources", t);
        const auto ro = s.victim_grant(s.attacker, true, 0x66);
        const auto out = s.go({s.victim, s.victim_frame(), s.victim_l4(), ro.ref, ro.frame});
        INFO(s.console());
        REQUIRE(out.completed);
        CHECK(out.values[0] == 64);   // frames: the builder's extra quota
        CHECK(out.values[1] == 1022); // ports: all but 0 and its command port
        CHECK(out.values[2] == 504);  // grant entries of frame 0 (0..7 are reserved)
        CHECK(out.values[3] == 1024); // maptrack handles
        s.require_invariants("with the attacker holding everything");

        // The victim: a frame, a port, a grant domain 0 maps; its memory.
        s.require_victim_intact();
        struct {
            xen_memory_reservation_t r;
            xen_pfn_t frame;
        } res{};
        const std::uint64_t frame_va = Monitor::command_data_va() + offsetof(decltype(res), frame);
        set_xen_guest_handle(res.r.extent_start, reinterpret_cast<xen_pfn_t*>(frame_va));
        res.r.nr_extents = 1;
        res.r.domid = DOMID_SELF;
        CHECK(s.victim_call(__HYPERVISOR_memory_op, XENMEM_increase_reservation, &res) == 1);
        CHECK(s.victim_call(__HYPERVISOR_memory_op, XENMEM_decrease_reservation, &res) == 1);
        evtchn_alloc_unbound_t alloc{};
        alloc.dom = DOMID_SELF;
        alloc.remote_dom = 0;
        CHECK(s.victim_call(__HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound, &alloc) == 0);
        evtchn_close_t close{};
        close.port = alloc.port;
        CHECK(s.victim_call(__HYPERVISOR_event_channel_op, EVTCHNOP_close, &close) == 0);
        const auto g = s.victim_grant(0, false, 0x77);
        s.m.with_core([&](Core& c, Dispatcher&) {
            std::uint32_t handle = 0;
            std::uint64_t bus = 0;
            REQUIRE(c.grant_map(0, s.victim, static_cast<std::uint32_t>(g.ref), GNTMAP_host_map, 0,
                                handle, bus) == GNTST_okay);
            CHECK(c.grant_unmap(0, handle, 0) == GNTST_okay);
            // Domain 0 itself: a port.
            std::uint32_t port = 0;
            REQUIRE(c.evtchn_alloc_unbound(0, 0, s.victim, port) == enso::core::kOk);
            CHECK(c.evtchn_close(0, port) == enso::core::kOk);
        });
        s.require_invariants("after the victim and domain 0 were served");
        s.require_pass(s.go({s.victim}));
        s.finish(); // destroys it and checks that no frame leaked
    });
}

// --- Domain ids used again ---------------------------------------------------

// The attacker inherits the domain id of a guest destroyed just before it;
// nothing of that guest's may be left for it: domain 0's end of the old
// command channel is closed (no port leaks), so it cannot bind to it.
TEST_CASE("stale_port_rebind") {
    kvm_or_skip();
    each_transport([](Transport t) {
        SceneOptions options;
        options.before = Predecessor::destroyed;
        Scene s("stale_port_rebind", t, options);
        REQUIRE(s.attacker == s.predecessor);
        s.require_pass(
            s.go({s.victim, s.victim_frame(), s.victim_l4(), 0, 0, s.predecessor_dom0_port}));
        s.finish();
        // Domain 0 holds exactly one port per live guest: the victim's.
        CHECK(s.dom0_open_ports() == 1);
    });
}
