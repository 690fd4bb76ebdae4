// The real guest kernel on the platform: it boots over each transport, each
// hypercall made by the guest returns what the same call made in-process on
// the same state returns, exits per call are what the transport promises,
// and a guest that touches what it may not is stopped while others go on.
#include "hvcore/abi/guest_layout.hpp"
#include "hvcore/kvm/monitor.hpp"
#include "kvm_or_skip.hpp"

#include <catch2/catch.hpp>
#include <xen/event_channel.h>
#include <xen/grant_table.h>
#include <xen/memory.h>
#include <xen/sched.h>
#include <xen/version.h>
#include <xen/xen.h>

#include <cstring>
#include <vector>

using enso::abi::Transport;
using enso::kvm::CommandOutcome;
using enso::kvm::DomainConfig;
using enso::kvm::Monitor;
using enso::kvm::StopKind;

namespace {

constexpr std::uint32_t kPages = 1024;

std::uint16_t start(Monitor& m, Transport t) {
    DomainConfig config;
    config.pages = kPages;
    config.transport = t;
    const auto d = m.start_domain(config);
    const auto ping = m.command(d, enso::abi::kCmdPing, {42}, std::chrono::seconds(20));
    INFO(m.console(d));
    REQUIRE(ping.completed);
    REQUIRE(ping.values[0] == (enso::abi::kPingMagic ^ 42));
    return d;
}

struct Call {
    const char* what;
    std::uint64_t nr;
    std::array<std::uint64_t, 5> args;
    std::vector<std::uint8_t> data; // written to the command page's data area first
};

// The guest's result and data area, then the in-process call's on the same
// state and the same bytes.
void check_same(Monitor& m, std::uint16_t d, const Call& c) {
    INFO(c.what);
    std::uint8_t* data = m.command_data(d);
    if (!c.data.empty()) { // memcpy from an empty vector's null data is UB
        std::memcpy(data, c.data.data(), c.data.size());
    }
    const auto out = m.command(d, enso::abi::kCmdHypercall,
                               {c.nr, c.args[0], c.args[1], c.args[2], c.args[3], c.args[4]},
                               std::chrono::seconds(20));
    REQUIRE(out.completed);
    const std::vector<std::uint8_t> guest_bytes(data, data + 256);

    if (!c.data.empty()) { // memcpy from an empty vector's null data is UB
        std::memcpy(data, c.data.data(), c.data.size());
    }
    const long inproc = m.with_core([&](enso::core::Core&, enso::core::Dispatcher& disp) {
        return disp.call(d, c.nr, {c.args[0], c.args[1], c.args[2], c.args[3], c.args[4]});
    });
    const std::vector<std::uint8_t> inproc_bytes(data, data + 256);
    CHECK(out.status == inproc);
    CHECK(guest_bytes == inproc_bytes);
}

template <class T>
std::vector<std::uint8_t> bytes_of(const T& v) {
    std::vector<std::uint8_t> b(sizeof v);
    std::memcpy(b.data(), &v, sizeof v);
    return b;
}

} // namespace

TEST_CASE("the guest kernel boots over each transport and prints its banner") {
    enso::test::kvm_or_skip();
    Monitor m;
    for (auto t : {enso::abi::kTransportTrap, enso::abi::kTransportExitless}) {
        const auto d = start(m, t);
        CHECK(m.console(d).find("enso-guest: booted") != std::string::npos);
        CHECK(m.console(d).find(t == enso::abi::kTransportTrap ? "trap" : "exitless") !=
              std::string::npos);
    }
}

TEST_CASE("hypercalls made by the guest return what the in-process call returns") {
    enso::test::kvm_or_skip();
    Monitor m;
    const std::uint64_t buf = Monitor::command_data_va();
    for (auto t : {enso::abi::kTransportTrap, enso::abi::kTransportExitless}) {
        const auto d = start(m, t);
        gnttab_query_size_t query{};
        query.dom = DOMID_SELF;
        evtchn_send_t bad_send{};
        bad_send.port = 1000;
        evtchn_alloc_unbound_t alloc{};
        alloc.dom = DOMID_SELF;
        alloc.remote_dom = 0;
        mmu_update_t foreign{};
        foreign.ptr = 0x1000 | MMU_NORMAL_PT_UPDATE; // frame 1: never this guest's table
        foreign.val = 0;
        mmuext_op_t bad_op{};
        bad_op.cmd = 0xff;
        const std::string text = "through the guest\n";
        const std::vector<Call> calls = {
            {"xen_version(VERSION)", __HYPERVISOR_xen_version, {XENVER_version, 0, 0, 0, 0}, {}},
            {"an unknown hypercall", 40, {0, 0, 0, 0, 0}, {}},
            {"sched_op(yield)", __HYPERVISOR_sched_op, {SCHEDOP_yield, 0, 0, 0, 0}, {}},
            {"console_io write",
             __HYPERVISOR_console_io,
             {CONSOLEIO_write, text.size(), buf, 0, 0},
             std::vector<std::uint8_t>(text.begin(), text.end())},
            {"grant query_size",
             __HYPERVISOR_grant_table_op,
             {GNTTABOP_query_size, buf, 1, 0, 0},
             bytes_of(query)},
            {"evtchn send on a closed port",
             __HYPERVISOR_event_channel_op,
             {EVTCHNOP_send, buf, 0, 0, 0},
             bytes_of(bad_send)},
            {"mmu_update of a frame it does not own",
             __HYPERVISOR_mmu_update,
             {buf, 1, 0, DOMID_SELF, 0},
             bytes_of(foreign)},
            {"mmu_update with a pointer outside its memory",
             __HYPERVISOR_mmu_update,
             {enso::abi::kScratchVa, 1, 0, DOMID_SELF, 0},
             {}},
            {"mmuext_op with an unknown command",
             __HYPERVISOR_mmuext_op,
             {buf, 1, 0, DOMID_SELF, 0},
             bytes_of(bad_op)},
            {"memory_op with an unknown command", __HYPERVISOR_memory_op, {999, buf, 0, 0, 0}, {}},
            {"multicall of nothing", __HYPERVISOR_multicall, {buf, 0, 0, 0, 0}, {}},
        };
        for (const auto& c : calls) {
            check_same(m, d, c);
        }
        // One that changes state: each side allocates a port; both must
        // succeed, with consecutive ports.
        std::memcpy(m.command_data(d), &alloc, sizeof alloc);
        const auto out = m.command(d, enso::abi::kCmdHypercall,
                                   {__HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound, buf},
                                   std::chrono::seconds(20));
        REQUIRE(out.completed);
        CHECK(out.status == 0);
        evtchn_alloc_unbound_t got{};
        std::memcpy(&got, m.command_data(d), sizeof got);
        CHECK(got.port > 0);
    }
}

TEST_CASE("a trap hypercall is one exit; exitless calls leave the guest running") {
    enso::test::kvm_or_skip();
    Monitor m;
    const auto trap = start(m, enso::abi::kTransportTrap);
    const auto ring = start(m, enso::abi::kTransportExitless);
    constexpr std::uint64_t kCalls = 2000;
    const auto t = m.command(trap, enso::abi::kCmdNull, {kCalls});
    REQUIRE(t.completed);
    CHECK(t.iterations == kCalls);
    CHECK(t.exits.user_exits >= kCalls);
    CHECK(t.exits.user_exits <= kCalls + 20); // plus blocking for the command
    const auto r = m.command(ring, enso::abi::kCmdNull, {kCalls});
    REQUIRE(r.completed);
    CHECK(r.iterations == kCalls);
    CHECK(r.exits.user_exits < kCalls / 10);
}

TEST_CASE("the real guest is stopped when it writes its page table or reads unmapped memory") {
    enso::test::kvm_or_skip();
    Monitor m;
    const auto bystander = start(m, enso::abi::kTransportExitless);
    const auto a = start(m, enso::abi::kTransportTrap);
    const auto l4_va = enso::abi::kPhysMapVa + std::uint64_t{m.built(a).l4} * 4096;
    const auto w = m.command(a, enso::abi::kCmdWrite, {l4_va, 0});
    CHECK_FALSE(w.completed);
    REQUIRE(w.stop.has_value());
    INFO(w.stop->describe());
    CHECK(w.stop->kind == StopKind::fault);
    CHECK(w.stop->sregs.cr2 == l4_va);

    const auto b = start(m, enso::abi::kTransportExitless);
    const auto r = m.command(b, enso::abi::kCmdRead, {enso::abi::kScratchVa + 0x12345000});
    CHECK_FALSE(r.completed);
    REQUIRE(r.stop.has_value());
    CHECK(r.stop->kind == StopKind::fault);
    CHECK(r.stop->sregs.cr2 == enso::abi::kScratchVa + 0x12345000);

    // The bystander still answers, and its memory was not touched.
    const auto ping = m.command(bystander, enso::abi::kCmdPing, {5});
    REQUIRE(ping.completed);
    CHECK(ping.values[0] == (enso::abi::kPingMagic ^ 5));
    const auto shut =
        m.command(bystander, enso::abi::kCmdShutdown, {SHUTDOWN_poweroff}, std::chrono::seconds(5));
    REQUIRE(shut.stop.has_value());
    CHECK(shut.stop->kind == StopKind::shutdown);
}

TEST_CASE("after the guest unmaps a page and flushes, touching it faults (no stale translation)") {
    enso::test::kvm_or_skip();
    Monitor m;
    for (auto t : {enso::abi::kTransportTrap, enso::abi::kTransportExitless}) {
        const auto d = start(m, t);
        // The guest builds its scratch tables (one mmu_update round trip).
        REQUIRE(m.command(d, enso::abi::kCmdMmuUpdate, {1, 1}).status == 0);
        const std::uint64_t va = enso::abi::kScratchVa;
        const std::uint64_t page = std::uint64_t{m.built(d).command_page} * 4096;
        constexpr std::uint64_t kFlags = 1 | 2 | 4 | (1ULL << 63); // P RW US NX
        auto map = m.command(d, enso::abi::kCmdHypercall,
                             {__HYPERVISOR_update_va_mapping, va, page | kFlags, 0});
        REQUIRE(map.completed);
        REQUIRE(map.status == 0);
        const auto read = m.command(d, enso::abi::kCmdRead, {va});
        REQUIRE(read.completed);
        CHECK(read.values[0] != 0); // the command page's seq, through the new mapping
        auto unmap = m.command(d, enso::abi::kCmdHypercall,
                               {__HYPERVISOR_update_va_mapping, va, 0, UVMF_TLB_FLUSH});
        REQUIRE(unmap.completed);
        REQUIRE(unmap.status == 0);
        const auto again = m.command(d, enso::abi::kCmdRead, {va});
        CHECK_FALSE(again.completed);
        REQUIRE(again.stop.has_value());
        CHECK(again.stop->sregs.cr2 == va);
    }
}

TEST_CASE("memory slots confine a guest even where its page tables would not") {
    enso::test::kvm_or_skip();
    Monitor m;
    const auto d = start(m, enso::abi::kTransportTrap);
    // Play a PV MMU bug: point a phys-map entry of one of the guest's free
    // frames at a frame of domain 0, behind the core's back.
    const auto& built = m.built(d);
    const std::uint64_t mfn = built.mfns.at(built.first_free_pfn);
    const std::uint64_t va = enso::abi::kPhysMapVa + mfn * 4096;
    std::uint64_t table = built.l4;
    std::uint64_t* entry = nullptr;
    for (int level = 4; level >= 1; --level) {
        auto* t =
            reinterpret_cast<std::uint64_t*>(m.memory().frame(static_cast<std::uint32_t>(table)));
        entry = &t[(va >> (12 + 9 * (level - 1))) & 511];
        REQUIRE((*entry & 1) != 0);
        table = (*entry & 0x000ffffffffff000ULL) >> 12;
    }
    const std::uint32_t foreign = m.with_core([](enso::core::Core& core, enso::core::Dispatcher&) {
        return core.state().doms.shared_info.get(0);
    });
    *entry = (*entry & ~0x000ffffffffff000ULL) | (std::uint64_t{foreign} << 12);
    const auto out = m.command(d, enso::abi::kCmdRead, {va});
    CHECK_FALSE(out.completed);
    REQUIRE(out.stop.has_value());
    INFO(out.stop->describe());
    CHECK(out.stop->kind == StopKind::fault);
    CHECK(out.stop->reason.find("no memory it owns") != std::string::npos);
}
