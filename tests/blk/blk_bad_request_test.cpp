// Malformed requests from a real guest: each gets its error response, a good
// request still works after it, and a ring whose indices are garbage is cut
// off while the back end's thread, the monitor and other guests go on.
#include "tests/blk/blk_machine.hpp"

using enso::abi::BlkBadKind;
using enso::backends::DataPath;
using enso::bench::BlkPathConfig;
using enso::bench::BlkRunSpec;

namespace {

std::int64_t as_status(std::uint64_t v) {
    return static_cast<std::int64_t>(v);
}

void good_io(enso::test::BlkMachine& m, std::uint16_t d, enso::bench::BlkSession& s) {
    BlkRunSpec spec;
    spec.pattern = enso::blkio::Pattern::randread;
    spec.queue_depth = 8;
    spec.count = 64;
    const auto r = s.run(spec);
    INFO(m.monitor->console(d));
    REQUIRE(r.outcome.completed);
    CHECK(r.outcome.status == 0);
    CHECK(r.stats.ios == 64);
    CHECK(r.stats.bad_blocks == 0);
}

} // namespace

TEST_CASE("every malformed request gets an error response, and the ring goes on") {
    enso::test::kvm_or_skip();
    enso::test::BlkMachine m("enso-blk-bad");
    for (auto path : {DataPath::map, DataPath::copy, DataPath::persistent}) {
        BlkPathConfig config;
        config.path = path;
        m.session->connect(config);
        for (std::uint32_t kind = 0; kind < enso::abi::kBlkBadRingIndex; ++kind) {
            INFO("path " << enso::backends::data_path_name(path) << ", bad request kind " << kind);
            const auto out = m.monitor->command(m.domid, enso::abi::kCmdBlkBadRequest, {kind},
                                                std::chrono::seconds(20));
            INFO(m.monitor->console(m.domid));
            REQUIRE(out.completed);
            REQUIRE(out.status == 0);
            const std::int64_t want =
                kind == enso::abi::kBlkBadOperation ? BLKIF_RSP_EOPNOTSUPP : BLKIF_RSP_ERROR;
            CHECK(as_status(out.values[0]) == want);
            CHECK(as_status(out.values[1]) == BLKIF_RSP_OKAY); // a good read right after
        }
        const auto stats = m.session->backend_stats();
        CHECK(stats.server.refused + stats.server.grant_errors >= enso::abi::kBlkBadRingIndex);
        CHECK_FALSE(stats.broken);
        good_io(m, m.domid, *m.session);
        m.session->disconnect();
    }
}

TEST_CASE(
    "garbage ring indices cut that ring off, and the back end, the monitor and others go on") {
    enso::test::kvm_or_skip();
    enso::test::BlkMachine m("enso-blk-garbage");
    // A second guest with a device of its own, on the same image.
    const auto other = m.start_guest();
    enso::bench::BlkSession other_disk(*m.monitor, other, m.image.path().string(), true,
                                       enso::backends::EngineKind::uring, false);
    other_disk.connect({});
    m.session->connect({});

    const auto out = m.monitor->command(m.domid, enso::abi::kCmdBlkBadRequest,
                                        {enso::abi::kBlkBadRingIndex}, std::chrono::seconds(20));
    INFO(m.monitor->console(m.domid));
    REQUIRE(out.completed);
    CHECK(as_status(out.values[0]) == 1); // no response to a request that was never there
    CHECK(as_status(out.values[1]) == 1); // nor to a good one: the ring is cut off
    CHECK(m.session->backend_stats().broken);
    CHECK_FALSE(m.monitor->stopped(m.domid).has_value());

    good_io(m, other, other_disk); // the other guest's device is unaffected
    // The broken ring's back end still stops cleanly, and a new connection works.
    m.session->disconnect();
    m.session->connect({});
    good_io(m, m.domid, *m.session);
    other_disk.disconnect();
}
