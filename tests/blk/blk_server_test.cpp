// The ring server over an in-process core: each data path moves the right
// bytes, releases every grant, answers every request (errors for bad ones),
// keeps within its budgets by waiting instead of failing, and survives a
// front end that writes garbage into the ring. No KVM.
#include "tests/blk/inprocess_blk.hpp"

#include <catch2/catch.hpp>

#include <numeric>

using enso::backends::DataPath;
using enso::test::InProcessBlk;

namespace {

const char* name_of(DataPath p) {
    return p == DataPath::map ? "map" : p == DataPath::copy ? "copy" : "persistent";
}

void fill(InProcessBlk& m, std::uint32_t f, std::uint8_t seed) {
    auto* p = m.mem(f);
    for (std::size_t i = 0; i < 4096; ++i) {
        p[i] = static_cast<std::byte>(seed + i * 7);
    }
}

std::vector<std::byte> disk(InProcessBlk& m, std::uint64_t sector, std::size_t bytes) {
    std::vector<std::byte> out(bytes);
    REQUIRE(::pread(m.disk_fd(), out.data(), bytes, static_cast<off_t>(sector * 512)) ==
            static_cast<ssize_t>(bytes));
    return out;
}

// One direct request of whole pages; returns its status. Grants are made
// (read-only for a write) and left for the caller.
std::int16_t io(InProcessBlk& m, std::uint8_t op, std::uint64_t sector,
                const std::vector<std::uint32_t>& refs, std::uint64_t id = 1) {
    auto* r = m.next_request();
    r->operation = op;
    r->nr_segments = static_cast<std::uint8_t>(refs.size());
    r->id = id;
    r->sector_number = sector;
    for (std::size_t i = 0; i < refs.size(); ++i) {
        r->seg[i] = {refs[i], 0, 7};
    }
    m.push();
    const auto rsp = m.serve();
    REQUIRE(rsp.size() == 1);
    CHECK(rsp[0].id == id);
    CHECK(rsp[0].operation == op);
    return rsp[0].status;
}

std::vector<std::uint32_t> frames(InProcessBlk& m, std::size_t n) {
    std::vector<std::uint32_t> f(n);
    for (auto& x : f) {
        x = m.frame();
    }
    return f;
}

std::vector<std::uint32_t> grants(InProcessBlk& m, const std::vector<std::uint32_t>& f,
                                  bool readonly) {
    std::vector<std::uint32_t> refs;
    for (auto x : f) {
        refs.push_back(m.grant(x, readonly));
    }
    return refs;
}

} // namespace

TEST_CASE("every data path writes and reads back the same bytes and lets go of every grant") {
    for (auto path : {DataPath::map, DataPath::copy, DataPath::persistent}) {
        INFO("path " << name_of(path));
        InProcessBlk m(path);
        REQUIRE(m.connect() == GNTST_okay);
        const auto src = frames(m, 8);
        for (std::size_t i = 0; i < src.size(); ++i) {
            fill(m, src[i], static_cast<std::uint8_t>(i + 1));
        }
        // Persistent grants are read-write: the next request may read into them.
        const auto wrefs = grants(m, src, path != DataPath::persistent);
        REQUIRE(io(m, BLKIF_OP_WRITE, 16, wrefs) == BLKIF_RSP_OKAY);
        const auto on_disk = disk(m, 16, 8 * 4096);
        for (std::size_t i = 0; i < src.size(); ++i) {
            CHECK(std::memcmp(on_disk.data() + i * 4096, m.mem(src[i]), 4096) == 0);
        }
        const auto dst = frames(m, 8);
        const auto rrefs = grants(m, dst, false);
        REQUIRE(io(m, BLKIF_OP_READ, 16, rrefs, 2) == BLKIF_RSP_OKAY);
        for (std::size_t i = 0; i < dst.size(); ++i) {
            CHECK(std::memcmp(m.mem(dst[i]), m.mem(src[i]), 4096) == 0);
        }
        blkif_request* f = m.next_request();
        f->operation = BLKIF_OP_FLUSH_DISKCACHE;
        f->id = 3;
        m.push();
        const auto rsp = m.serve();
        REQUIRE(rsp.size() == 1);
        CHECK(rsp[0].status == BLKIF_RSP_OKAY);
        // Kept maps only on the persistent path, until disconnect.
        CHECK(m.refs_in_use() == (path == DataPath::persistent ? 16U + 1 : 1U));
        m.server().disconnect();
        CHECK(m.refs_in_use() == 0);
        CHECK(m.dom0_frames_held() == 0);
        for (auto r : wrefs) {
            CHECK(m.end(r));
        }
        CHECK(m.violations().empty());
    }
}

TEST_CASE("an indirect request moves 64 pages on every path") {
    for (auto path : {DataPath::map, DataPath::copy, DataPath::persistent}) {
        INFO("path " << name_of(path));
        InProcessBlk m(path);
        REQUIRE(m.connect() == GNTST_okay);
        const auto pages = frames(m, 64);
        for (std::size_t i = 0; i < pages.size(); ++i) {
            fill(m, pages[i], static_cast<std::uint8_t>(3 * i));
        }
        const auto refs = grants(m, pages, false);
        const std::uint32_t ind_frame = m.frame();
        auto* segs = reinterpret_cast<blkif_request_segment*>(m.mem(ind_frame));
        for (std::size_t i = 0; i < refs.size(); ++i) {
            segs[i] = {refs[i], 0, 7};
        }
        const std::uint32_t ind_ref = m.grant(ind_frame, true);
        auto* r = m.next_request();
        blkif_request_indirect ind{};
        ind.operation = BLKIF_OP_INDIRECT;
        ind.indirect_op = BLKIF_OP_WRITE;
        ind.nr_segments = 64;
        ind.id = 9;
        ind.sector_number = 8;
        ind.indirect_grefs[0] = ind_ref;
        std::memcpy(r, &ind, sizeof ind);
        m.push();
        auto rsp = m.serve();
        REQUIRE(rsp.size() == 1);
        CHECK(rsp[0].id == 9);
        CHECK(rsp[0].status == BLKIF_RSP_OKAY);
        const auto on_disk = disk(m, 8, 64 * 4096);
        for (std::size_t i = 0; i < pages.size(); ++i) {
            CHECK(std::memcmp(on_disk.data() + i * 4096, m.mem(pages[i]), 4096) == 0);
        }
        m.server().disconnect();
        CHECK(m.refs_in_use() == 0);
        CHECK(m.violations().empty());
    }
}

TEST_CASE("bad requests are answered with an error and the ring keeps working") {
    for (auto path : {DataPath::map, DataPath::copy, DataPath::persistent}) {
        INFO("path " << name_of(path));
        InProcessBlk m(path);
        REQUIRE(m.connect() == GNTST_okay);
        const std::uint32_t page = m.frame();
        const std::uint32_t good = m.grant(page, false);
        const std::uint32_t foreign = m.grant(m.frame(), false, InProcessBlk::kOther);
        const std::uint32_t readonly = m.grant(m.frame(), true);
        SECTION("a gref never granted") {
            CHECK(io(m, BLKIF_OP_READ, 0, {m.unused_ref()}) == BLKIF_RSP_ERROR);
        }
        SECTION("a gref past the grant table") {
            CHECK(io(m, BLKIF_OP_WRITE, 0, {0xfffffff0U}) == BLKIF_RSP_ERROR);
        }
        SECTION("a grant to another domain") {
            CHECK(io(m, BLKIF_OP_READ, 0, {foreign}) == BLKIF_RSP_ERROR);
        }
        SECTION("a read into a read-only grant") {
            CHECK(io(m, BLKIF_OP_READ, 0, {readonly}) == BLKIF_RSP_ERROR);
        }
        SECTION("sectors past the end") {
            CHECK(io(m, BLKIF_OP_READ, m.disk_sectors() - 4, {good}) == BLKIF_RSP_ERROR);
            CHECK(io(m, BLKIF_OP_READ, ~0ULL - 1, {good}) == BLKIF_RSP_ERROR);
        }
        SECTION("a second segment ungranted: the first one is released too") {
            CHECK(io(m, BLKIF_OP_READ, 0, {good, m.unused_ref()}) == BLKIF_RSP_ERROR);
            CHECK(m.refs_in_use() == (path == DataPath::persistent ? 2U : 1U));
        }
        SECTION("an unknown operation") {
            auto* r = m.next_request();
            r->operation = 200;
            r->id = 4;
            m.push();
            const auto rsp = m.serve();
            REQUIRE(rsp.size() == 1);
            CHECK(rsp[0].status == BLKIF_RSP_EOPNOTSUPP);
        }
        SECTION("an indirect page never granted") {
            auto* r = m.next_request();
            blkif_request_indirect ind{};
            ind.operation = BLKIF_OP_INDIRECT;
            ind.indirect_op = BLKIF_OP_READ;
            ind.nr_segments = 20;
            ind.id = 6;
            ind.indirect_grefs[0] = m.unused_ref();
            std::memcpy(r, &ind, sizeof ind);
            m.push();
            const auto rsp = m.serve();
            REQUIRE(rsp.size() == 1);
            CHECK(rsp[0].id == 6);
            CHECK(rsp[0].status == BLKIF_RSP_ERROR);
        }
        SECTION("descriptors in the indirect page that leave their page") {
            const std::uint32_t ind_frame = m.frame();
            auto* segs = reinterpret_cast<blkif_request_segment*>(m.mem(ind_frame));
            for (int i = 0; i < 20; ++i) {
                segs[i] = {good, 0, static_cast<std::uint8_t>(i == 19 ? 8 : 7)};
            }
            auto* r = m.next_request();
            blkif_request_indirect ind{};
            ind.operation = BLKIF_OP_INDIRECT;
            ind.indirect_op = BLKIF_OP_WRITE;
            ind.nr_segments = 20;
            ind.id = 7;
            ind.indirect_grefs[0] = m.grant(ind_frame, true);
            std::memcpy(r, &ind, sizeof ind);
            m.push();
            const auto rsp = m.serve();
            REQUIRE(rsp.size() == 1);
            CHECK(rsp[0].status == BLKIF_RSP_ERROR);
        }
        // Whatever came before, a good request still works.
        CHECK(io(m, BLKIF_OP_READ, 0, {good}, 99) == BLKIF_RSP_OKAY);
        CHECK(m.violations().empty());
        m.server().disconnect();
        CHECK(m.refs_in_use() == 0);
        CHECK(m.violations().empty());
    }
}

TEST_CASE("a producer index past what the ring holds breaks the ring, nothing else") {
    InProcessBlk m(DataPath::map);
    REQUIRE(m.connect() == GNTST_okay);
    const std::uint32_t page = m.grant(m.frame(), false);
    REQUIRE(io(m, BLKIF_OP_READ, 0, {page}) == BLKIF_RSP_OKAY);
    m.front().sring->req_prod = m.front().req_prod_pvt + 1000;
    CHECK(m.serve().empty());
    CHECK(m.server().broken());
    CHECK_FALSE(m.server().poll_once());
    CHECK_FALSE(m.server().final_check());
    m.server().disconnect();
    CHECK(m.refs_in_use() == 0);
    CHECK(m.violations().empty());
}

TEST_CASE("a ring's worth of requests at once: every one answered once") {
    InProcessBlk m(DataPath::copy);
    REQUIRE(m.connect() == GNTST_okay);
    const std::uint32_t page = m.grant(m.frame(), false);
    for (std::uint64_t id = 0; id < enso::backends::kBlkRingSize; ++id) {
        auto* r = m.next_request();
        r->operation = BLKIF_OP_READ;
        r->nr_segments = 1;
        r->id = 1000 + id;
        r->sector_number = id * 8;
        r->seg[0] = {page, 0, 7};
    }
    m.push();
    auto rsp = m.serve();
    REQUIRE(rsp.size() == enso::backends::kBlkRingSize);
    std::vector<std::uint64_t> ids;
    for (const auto& r : rsp) {
        CHECK(r.status == BLKIF_RSP_OKAY);
        ids.push_back(r.id);
    }
    std::sort(ids.begin(), ids.end());
    for (std::uint64_t i = 0; i < ids.size(); ++i) {
        CHECK(ids[i] == 1000 + i);
    }
}

TEST_CASE("past its budget a path waits for completions instead of failing") {
    for (auto path : {DataPath::map, DataPath::copy, DataPath::persistent}) {
        INFO("path " << name_of(path));
        auto limits = InProcessBlk::small_limits();
        limits.max_mapped = 15 + enso::backends::kMaxIndirectSegments + 8; // a few requests
        limits.max_persistent = 15;
        limits.bounce_frames = 15;
        InProcessBlk m(path, 1ULL << 20, limits);
        REQUIRE(m.connect() == GNTST_okay);
        const std::size_t requests = 20; // 220 pages: within the guest's quota
        std::vector<std::uint32_t> all;
        for (std::uint64_t id = 0; id < requests; ++id) {
            auto pages = frames(m, 11);
            const auto refs = grants(m, pages, false);
            auto* r = m.next_request();
            r->operation = BLKIF_OP_READ;
            r->nr_segments = 11;
            r->id = id;
            r->sector_number = id * 88;
            for (std::size_t i = 0; i < refs.size(); ++i) {
                r->seg[i] = {refs[i], 0, 7};
            }
        }
        m.push();
        // The synchronous engine completes within the pass, so budget is
        // back before the next one: serve() answers everything.
        const auto rsp = m.serve();
        REQUIRE(rsp.size() == requests);
        for (const auto& r : rsp) {
            CHECK(r.status == BLKIF_RSP_OKAY);
        }
        if (path == DataPath::copy) {
            CHECK(m.server().stats().stalls > 0);
        }
        m.server().disconnect();
        CHECK(m.refs_in_use() == 0);
        CHECK(m.violations().empty());
    }
}

TEST_CASE("a request bigger than the whole budget is refused, not waited for") {
    auto limits = InProcessBlk::small_limits();
    limits.bounce_frames = 8;
    InProcessBlk m(DataPath::copy, 1ULL << 20, limits);
    REQUIRE(m.connect() == GNTST_okay);
    const auto refs = grants(m, frames(m, 11), false);
    CHECK(io(m, BLKIF_OP_READ, 0, refs) == BLKIF_RSP_ERROR);
    CHECK(io(m, BLKIF_OP_READ, 0, {refs[0]}, 2) == BLKIF_RSP_OKAY);
}

TEST_CASE(
    "persistent grants past the cache, through indirect requests: all released at disconnect") {
    auto limits = InProcessBlk::small_limits();
    limits.max_persistent = 40; // fewer than the pages: the rest are mapped per request
    InProcessBlk m(DataPath::persistent, 1ULL << 20, limits);
    REQUIRE(m.connect() == GNTST_okay);
    // Two I/O slots of 64 pages and an indirect page each, used alternately,
    // as blkfront does with persistent grants.
    std::vector<std::vector<std::uint32_t>> refs(2);
    std::vector<std::uint32_t> ind_ref(2);
    for (int slot = 0; slot < 2; ++slot) {
        const auto pages = frames(m, 64);
        refs[slot] = grants(m, pages, false);
        const std::uint32_t ind = m.frame();
        auto* segs = reinterpret_cast<blkif_request_segment*>(m.mem(ind));
        for (std::size_t i = 0; i < 64; ++i) {
            segs[i] = {refs[slot][i], 0, 7};
        }
        ind_ref[slot] = m.grant(ind, false);
    }
    for (std::uint64_t round = 0; round < 6; ++round) {
        for (int slot = 0; slot < 2; ++slot) {
            blkif_request_indirect ind{};
            ind.operation = BLKIF_OP_INDIRECT;
            ind.indirect_op = round % 2 == 0 ? BLKIF_OP_WRITE : BLKIF_OP_READ;
            ind.nr_segments = 64;
            ind.id = round * 2 + static_cast<std::uint64_t>(slot);
            ind.sector_number = static_cast<std::uint64_t>(slot) * 512;
            ind.indirect_grefs[0] = ind_ref[slot];
            std::memcpy(m.next_request(), &ind, sizeof ind);
        }
        m.push();
        const auto rsp = m.serve();
        REQUIRE(rsp.size() == 2);
        for (const auto& r : rsp) {
            CHECK(r.status == BLKIF_RSP_OKAY);
        }
    }
    m.server().disconnect();
    CHECK(m.refs_in_use() == 0);
    CHECK(m.violations().empty());
}

// A 256-segment indirect request whose indirect page and data pages are all
// past the persistent cache holds 257 per-request maps at once: one more
// than its segments, which the array of map handles must have room for.
TEST_CASE("a full indirect request past the persistent cache holds and releases 257 maps") {
    auto limits = InProcessBlk::small_limits();
    limits.max_mapped = 600;
    limits.max_persistent = 4;
    InProcessBlk m(DataPath::persistent, 4ULL << 20, limits, 2048);
    REQUIRE(m.connect() == GNTST_okay);
    const auto pages = frames(m, 256);
    const auto refs = grants(m, pages, false);
    // Fill the cache with other pages first.
    REQUIRE(io(m, BLKIF_OP_READ, 0, grants(m, frames(m, 4), false)) == BLKIF_RSP_OKAY);
    const std::uint32_t ind = m.frame();
    auto* segs = reinterpret_cast<blkif_request_segment*>(m.mem(ind));
    for (std::size_t i = 0; i < refs.size(); ++i) {
        segs[i] = {refs[i], 0, 7};
    }
    const std::uint32_t ind_ref = m.grant(ind, false);
    for (int round = 0; round < 3; ++round) {
        blkif_request_indirect r{};
        r.operation = BLKIF_OP_INDIRECT;
        r.indirect_op = round == 0 ? BLKIF_OP_WRITE : BLKIF_OP_READ;
        r.nr_segments = 256;
        r.id = static_cast<std::uint64_t>(round);
        r.indirect_grefs[0] = ind_ref;
        std::memcpy(m.next_request(), &r, sizeof r);
        m.push();
        const auto rsp = m.serve();
        REQUIRE(rsp.size() == 1);
        CHECK(rsp[0].status == BLKIF_RSP_OKAY);
        CHECK(m.refs_in_use() == 4 + 1); // only the kept ones, and the ring
    }
    m.server().disconnect();
    CHECK(m.refs_in_use() == 0);
    CHECK(m.violations().empty());
}
