// The crash test: a guest is stopped in the middle of a write stream (the
// monitor's deadline, as if it died), and every write it had acknowledged
// before a flush that was itself acknowledged is on disk, intact; writes
// after that are either not there or there whole. "On disk": read back with
// O_DIRECT after the back end let go (this cannot cut the power, so it shows
// the back end's ordering - FLUSH_DISKCACHE after the writes it covers, as
// fdatasync - not the disk's).
#include "tests/blk/blk_machine.hpp"
#include "workloads/blkio/io_pattern.hpp"

#include <fcntl.h>

using enso::backends::DataPath;
using enso::bench::BlkPathConfig;

namespace {

struct Verdict {
    std::uint64_t durable_ok = 0;
    std::uint64_t durable_bad = 0;
    std::uint64_t later_new = 0; // written after the last flush, there whole
    std::uint64_t later_old = 0; // not written (yet): the image's own block, whole
    std::uint64_t later_bad = 0; // neither: torn or garbage
};

Verdict check_image(const std::string& path, std::uint64_t seed, std::uint64_t durable,
                    std::uint64_t submitted) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECT | O_CLOEXEC);
    REQUIRE(fd >= 0);
    void* buf = std::aligned_alloc(4096, 4096);
    Verdict v;
    std::uint64_t unreadable = 0;
    for (std::uint64_t i = 0; i < submitted; ++i) {
        if (::pread(fd, buf, 4096, static_cast<off_t>(i * 4096)) != 4096) {
            ++unreadable;
            continue;
        }
        std::uint64_t gen = 0;
        const bool whole = enso::blkio::check_block(buf, i, &gen) == enso::blkio::BlockVerdict::ok;
        const bool mine = whole && gen == enso::blkio::write_generation(seed, i);
        if (i < durable) {
            (mine ? v.durable_ok : v.durable_bad) += 1;
        } else if (mine) {
            ++v.later_new;
        } else if (whole && gen == 0) {
            ++v.later_old;
        } else {
            ++v.later_bad;
        }
    }
    std::free(buf);
    ::close(fd);
    CHECK(unreadable == 0);
    return v;
}

} // namespace

TEST_CASE("a guest stopped mid-stream: every write acknowledged before a flush is on disk") {
    enso::test::kvm_or_skip();
    struct Case {
        DataPath path;
        std::chrono::milliseconds stop_after;
    };
    // Long enough for some flushes even on a loaded host (a flush every 16
    // writes), far too short for the whole stream.
    for (const Case c : {Case{DataPath::persistent, std::chrono::milliseconds(300)},
                         Case{DataPath::map, std::chrono::milliseconds(500)}}) {
        INFO("path " << enso::backends::data_path_name(c.path) << ", stopped after "
                     << c.stop_after.count() << " ms");
        enso::test::BlkMachine m("enso-blk-crash", true, enso::backends::EngineKind::uring,
                                 256ULL << 20);
        BlkPathConfig config;
        config.path = c.path;
        m.session->connect(config);
        const std::uint64_t seed = 0xc0ffee + static_cast<std::uint64_t>(c.stop_after.count());
        const std::uint64_t count = 65536; // 256 MiB of 4 KiB writes: far more than it has time for
        const auto out = m.monitor->command(m.domid, enso::abi::kCmdBlkStream,
                                            {4096, 16, count, 16, seed}, c.stop_after);
        INFO(m.monitor->console(m.domid));
        REQUIRE_FALSE(out.completed); // stopped in the middle
        REQUIRE(out.stop.has_value());
        enso::abi::BlkStreamProgress progress{};
        std::memcpy(&progress, m.monitor->command_data(m.domid), sizeof progress);
        INFO("submitted " << progress.submitted << ", acknowledged " << progress.acked
                          << ", durable " << progress.durable << ", flushes " << progress.flushes);
        CHECK(progress.errors == 0);
        REQUIRE(progress.durable > 0);
        REQUIRE(progress.submitted < count);
        // The back end finishes what it had and lets go; then the disk is read.
        m.session->disconnect();
        const auto v =
            check_image(m.image.path().string(), seed, progress.durable, progress.submitted);
        INFO("durable ok " << v.durable_ok << ", bad " << v.durable_bad << "; later: new "
                           << v.later_new << ", old " << v.later_old << ", bad " << v.later_bad);
        CHECK(v.durable_bad == 0);
        CHECK(v.durable_ok == progress.durable);
        CHECK(v.later_bad == 0);
    }
}
