// Guest I/O over each back-end path, with integrity: every block a guest
// reads is checked, every write run is read back.
#include "hvcore/kvm/irq_probe.hpp"
#include "tests/blk/blk_machine.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>

using enso::abi::kBlkDeviceEmulated;
using enso::abi::kBlkDevicePv;
using enso::backends::DataPath;
using enso::backends::NotifyMode;
using enso::bench::BlkPathConfig;
using enso::bench::BlkRunSpec;
using enso::blkio::Pattern;

namespace {

void check_run(enso::test::BlkMachine& m, const BlkRunSpec& spec) {
    const auto r = m.session->run(spec);
    INFO(m.monitor->console(m.domid));
    INFO("pattern " << enso::blkio::pattern_name(spec.pattern) << " size " << spec.io_bytes
                    << " qd " << spec.queue_depth);
    INFO((r.outcome.stop ? r.outcome.stop->describe() : std::string("running")));
    REQUIRE(r.outcome.completed);
    CHECK(r.outcome.status == 0);
    CHECK(r.stats.ios == spec.count);
    CHECK(r.stats.io_errors == 0);
    CHECK(r.stats.bad_blocks == 0);
    CHECK(r.stats.readback_bad == 0);
    CHECK(r.stats.bytes == spec.count * spec.io_bytes);
    if (!enso::blkio::is_write(spec.pattern)) {
        CHECK(r.stats.checked_blocks == spec.count * spec.io_bytes / 4096);
    }
}

void exercise(enso::test::BlkMachine& m, std::uint32_t device, std::uint64_t options = 0) {
    for (auto pattern :
         {Pattern::seqwrite, Pattern::randwrite, Pattern::seqread, Pattern::randread}) {
        for (std::uint64_t size : {4096ULL, 65536ULL, 1ULL << 20}) {
            for (std::uint64_t qd : {1ULL, 32ULL}) {
                BlkRunSpec spec;
                spec.pattern = pattern;
                spec.device = device;
                spec.io_bytes = size;
                spec.queue_depth = qd;
                spec.count = size >= (1U << 20) ? 24 : 200;
                spec.seed = 0x5eed0000 + size + qd;
                spec.options =
                    enso::abi::kBlkRunVerifyWrites | enso::abi::kBlkRunFlushAtEnd | options;
                check_run(m, spec);
            }
        }
    }
}

// Connects the persistent path with `notify` and exercises it with the
// completion mode `options`; returns the spec of the short run each waiting
// test then checks: 100 random 4 KiB reads at depth 1 in that mode.
BlkRunSpec exercise_waiting(enso::test::BlkMachine& m, NotifyMode notify, std::uint64_t options) {
    BlkPathConfig config;
    config.path = DataPath::persistent;
    config.notify = notify;
    m.session->connect(config);
    exercise(m, kBlkDevicePv, options);
    BlkRunSpec spec;
    spec.pattern = Pattern::randread;
    spec.queue_depth = 1;
    spec.count = 100;
    spec.options = options;
    return spec;
}

} // namespace

TEST_CASE("guest I/O over every data path keeps every block intact") {
    enso::test::kvm_or_skip();
    enso::test::BlkMachine m("enso-blk-paths");
    for (auto path : {DataPath::map, DataPath::copy, DataPath::persistent}) {
        for (auto notify : {NotifyMode::poll, NotifyMode::kick}) {
            INFO("path " << enso::backends::data_path_name(path) << " notify "
                         << enso::backends::notify_name(notify));
            BlkPathConfig config;
            config.path = path;
            config.notify = notify;
            m.session->connect(config);
            exercise(m, kBlkDevicePv);
            const auto stats = m.session->backend_stats();
            CHECK(stats.server.io_errors == 0);
            CHECK(stats.server.grant_errors == 0);
            m.session->disconnect();
        }
    }
}

// The front end blocks for the back end's events instead of polling: no
// completion may be missed (a lost wake-up would hang until the deadline).
TEST_CASE("guest I/O that waits for the back end's events keeps every block intact") {
    enso::test::kvm_or_skip();
    enso::test::BlkMachine m("enso-blk-events");
    for (auto notify : {NotifyMode::poll, NotifyMode::kick}) {
        INFO("notify " << enso::backends::notify_name(notify));
        const BlkRunSpec spec = exercise_waiting(m, notify, enso::abi::kBlkRunWaitEvent);
        const auto r = m.session->run(spec);
        REQUIRE(r.outcome.completed);
        CHECK(r.stats.ios == spec.count);
        CHECK(r.stats.bad_blocks == 0);
        CHECK(r.stats.waits > 0); // it did block, and was woken every time
        CHECK(m.session->backend_stats().server.notifies > 0);
        m.session->disconnect();
    }
}

// Completions by interrupt: the guest's event upcall, delivered through an
// irqfd at CPL3, consumes the responses. Skipped where the host cannot
// deliver such an interrupt (the probe says why).
TEST_CASE("guest I/O whose completions arrive by interrupt keeps every block intact") {
    enso::test::kvm_or_skip();
    const auto& probe = enso::kvm::cpl3_irq_support();
    if (!probe.delivered) {
        std::printf("SKIPPED: no interrupts at guest CPL3 on this host: %s\n",
                    probe.detail.c_str());
        std::fflush(stdout);
        std::exit(77);
    }
    enso::test::BlkMachine m("enso-blk-irq", true, enso::backends::EngineKind::uring,
                             enso::test::kTestImageBytes, true);
    for (auto notify : {NotifyMode::poll, NotifyMode::kick}) {
        INFO("notify " << enso::backends::notify_name(notify));
        const BlkRunSpec spec = exercise_waiting(m, notify, enso::abi::kBlkRunWaitIrq);
        const auto injected0 = m.monitor->upcall_injections(m.domid);
        const auto r = m.session->run(spec);
        INFO(m.monitor->console(m.domid));
        REQUIRE(r.outcome.completed);
        CHECK(r.outcome.status == 0);
        CHECK(r.stats.ios == spec.count);
        CHECK(r.stats.bad_blocks == 0);
        // It waited, and the handler that consumed the completions ran from
        // interrupts the monitor injected.
        CHECK(r.stats.waits > 0);
        CHECK(r.stats.upcalls > 0);
        CHECK(r.stats.interrupts > 0);
        CHECK(m.monitor->upcall_injections(m.domid) > injected0);
        m.session->disconnect();
    }
}

// A guest whose domain has no interrupts is told so (-ENOSYS), and its
// polled and event paths still work afterwards.
TEST_CASE("completions by interrupt are refused without an irqchip") {
    enso::test::kvm_or_skip();
    enso::test::BlkMachine m("enso-blk-noirq");
    BlkPathConfig config;
    m.session->connect(config);
    BlkRunSpec spec;
    spec.pattern = Pattern::randread;
    spec.count = 50;
    spec.options = enso::abi::kBlkRunWaitIrq;
    const auto refused = m.session->run(spec);
    REQUIRE(refused.outcome.completed);
    CHECK(refused.outcome.status == -ENOSYS);
    spec.options = enso::abi::kBlkRunWaitEvent;
    const auto r = m.session->run(spec);
    REQUIRE(r.outcome.completed);
    CHECK(r.outcome.status == 0);
    CHECK(r.stats.ios == spec.count);
    CHECK(r.stats.bad_blocks == 0);
}

TEST_CASE("the emulated disk moves the same data, five exits an I/O") {
    enso::test::kvm_or_skip();
    enso::test::BlkMachine m("enso-blk-emulated");
    exercise(m, kBlkDeviceEmulated);
    const auto before = m.session->emulated_stats();
    BlkRunSpec spec;
    spec.device = kBlkDeviceEmulated;
    spec.count = 100;
    const auto r = m.session->run(spec);
    REQUIRE(r.outcome.completed);
    const auto after = m.session->emulated_stats();
    // One identify (2 accesses: command, status) per run, then 5 per I/O.
    CHECK(after.commands - before.commands == 100 + 1);
    CHECK(after.accesses - before.accesses == 500 + 2);
    CHECK(r.outcome.exits.user_exits >= 500);
}
