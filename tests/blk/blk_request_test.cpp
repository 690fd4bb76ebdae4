// Request validation: every rule of parse_request and parse_segments, no
// core, no KVM.
#include "hvcore/backends/blk_request.hpp"

#include <catch2/catch.hpp>

using enso::backends::BlkCheck;
using enso::backends::BlkIo;
using enso::backends::BlkLimits;
using enso::backends::BlkOp;
using enso::backends::parse_request;
using enso::backends::parse_segments;

namespace {

constexpr std::uint64_t kSectors = 2048; // a 1 MiB disk

blkif_request read_of(std::uint64_t sector, std::uint8_t segs) {
    blkif_request r{};
    r.operation = BLKIF_OP_READ;
    r.nr_segments = segs;
    r.id = 0x1234;
    r.sector_number = sector;
    for (std::uint8_t i = 0; i < segs && i < BLKIF_MAX_SEGMENTS_PER_REQUEST; ++i) {
        r.seg[i] = {static_cast<grant_ref_t>(100 + i), 0, 7};
    }
    return r;
}

blkif_request indirect_of(std::uint8_t op, std::uint16_t segs) {
    blkif_request r{};
    blkif_request_indirect ind{};
    ind.operation = BLKIF_OP_INDIRECT;
    ind.indirect_op = op;
    ind.nr_segments = segs;
    ind.id = 77;
    ind.sector_number = 16;
    ind.indirect_grefs[0] = 9;
    std::memcpy(&r, &ind, sizeof ind);
    return r;
}

BlkCheck check(const blkif_request& r, BlkIo& io, BlkLimits limits = {kSectors, 256}) {
    return parse_request(r, limits, io);
}

} // namespace

TEST_CASE("a read of whole pages becomes one contiguous transfer") {
    BlkIo io;
    REQUIRE(check(read_of(8, 3), io) == BlkCheck::ok);
    CHECK(io.id == 0x1234);
    CHECK(io.op == BlkOp::read);
    CHECK(io.offset == 8 * 512);
    CHECK(io.bytes == 3 * 4096);
    CHECK(io.nr_segments == 3);
    CHECK(io.seg[2].gref == 102);
    CHECK(io.seg[2].offset == 0);
    CHECK(io.seg[2].bytes == 4096);
}

TEST_CASE("segments may cover part of a page, and the disk range is their sum") {
    auto r = read_of(0, 2);
    r.operation = BLKIF_OP_WRITE;
    r.seg[0] = {5, 2, 3};
    r.seg[1] = {6, 0, 0};
    BlkIo io;
    REQUIRE(check(r, io) == BlkCheck::ok);
    CHECK(io.op == BlkOp::write);
    CHECK(io.seg[0].offset == 1024);
    CHECK(io.seg[0].bytes == 1024);
    CHECK(io.seg[1].bytes == 512);
    CHECK(io.bytes == 1536);
}

TEST_CASE("segment counts outside 1..11 are refused") {
    BlkIo io;
    CHECK(check(read_of(0, 0), io) == BlkCheck::bad_segment_count);
    CHECK(check(read_of(0, 12), io) == BlkCheck::bad_segment_count);
    CHECK(check(read_of(0, 255), io) == BlkCheck::bad_segment_count);
    CHECK(check(read_of(0, 11), io) == BlkCheck::ok);
    CHECK(enso::backends::blk_status(BlkCheck::bad_segment_count) == BLKIF_RSP_ERROR);
}

TEST_CASE("a segment that is empty backwards or leaves its page is refused") {
    BlkIo io;
    auto r = read_of(0, 1);
    r.seg[0].first_sect = 4;
    r.seg[0].last_sect = 3;
    CHECK(check(r, io) == BlkCheck::bad_segment);
    r.seg[0].first_sect = 0;
    r.seg[0].last_sect = 8;
    CHECK(check(r, io) == BlkCheck::bad_segment);
    r.seg[0].first_sect = 255;
    r.seg[0].last_sect = 255;
    CHECK(check(r, io) == BlkCheck::bad_segment);
}

TEST_CASE("every sector must be on the disk, with no wrap-around") {
    BlkIo io;
    CHECK(check(read_of(kSectors - 8, 1), io) == BlkCheck::ok); // the last page
    CHECK(check(read_of(kSectors - 7, 1), io) == BlkCheck::past_end);
    CHECK(check(read_of(kSectors, 1), io) == BlkCheck::past_end);
    CHECK(check(read_of(~0ULL - 3, 1), io) == BlkCheck::past_end);
    CHECK(check(read_of(~0ULL, 11), io) == BlkCheck::past_end);
    CHECK(check(read_of(1ULL << 63, 1), io) == BlkCheck::past_end);
}

TEST_CASE("a flush carries no data, and barriers, discard and unknown operations are unsupported") {
    BlkIo io;
    blkif_request r{};
    r.operation = BLKIF_OP_FLUSH_DISKCACHE;
    r.id = 5;
    REQUIRE(check(r, io) == BlkCheck::ok);
    CHECK(io.op == BlkOp::flush);
    CHECK(io.bytes == 0);
    r.nr_segments = 1;
    CHECK(check(r, io) == BlkCheck::bad_segment_count);
    for (std::uint8_t op :
         {std::uint8_t{BLKIF_OP_WRITE_BARRIER}, std::uint8_t{BLKIF_OP_DISCARD},
          std::uint8_t{BLKIF_OP_RESERVED_1}, std::uint8_t{42}, std::uint8_t{255}}) {
        r.operation = op;
        CHECK(check(r, io) == BlkCheck::unsupported_operation);
        CHECK(io.id == 5); // still answered with the request's id
    }
    CHECK(enso::backends::blk_status(BlkCheck::unsupported_operation) == BLKIF_RSP_EOPNOTSUPP);
}

TEST_CASE("an indirect request is checked in two steps") {
    BlkIo io;
    REQUIRE(check(indirect_of(BLKIF_OP_READ, 16), io) == BlkCheck::ok);
    CHECK(io.indirect);
    CHECK(io.id == 77);
    CHECK(io.nr_segments == 16);
    CHECK(io.nr_indirect_pages == 1);
    CHECK(io.indirect_grefs[0] == 9);
    std::vector<blkif_request_segment> segs(16, blkif_request_segment{11, 0, 7});
    REQUIRE(parse_segments(segs.data(), {kSectors, 256}, io) == BlkCheck::ok);
    CHECK(io.offset == 16 * 512);
    CHECK(io.bytes == 16 * 4096);

    segs[3].last_sect = 9;
    CHECK(parse_segments(segs.data(), {kSectors, 256}, io) == BlkCheck::bad_segment);
    segs[3].last_sect = 7;
    CHECK(parse_segments(segs.data(), {24, 256}, io) == BlkCheck::past_end);
}

TEST_CASE("indirect requests past the limits are refused") {
    BlkIo io;
    CHECK(check(indirect_of(BLKIF_OP_READ, 0), io) == BlkCheck::bad_segment_count);
    CHECK(check(indirect_of(BLKIF_OP_READ, 257), io) == BlkCheck::bad_segment_count);
    CHECK(check(indirect_of(BLKIF_OP_WRITE, 1000), io) == BlkCheck::bad_segment_count);
    CHECK(check(indirect_of(BLKIF_OP_READ, 64), io, {kSectors, 32}) == BlkCheck::bad_segment_count);
    CHECK(check(indirect_of(BLKIF_OP_FLUSH_DISKCACHE, 1), io) == BlkCheck::bad_indirect);
    CHECK(check(indirect_of(BLKIF_OP_INDIRECT, 1), io) == BlkCheck::bad_indirect);
    // A back end that offers no indirect segments does not take them at all.
    CHECK(check(indirect_of(BLKIF_OP_READ, 1), io, {kSectors, 0}) ==
          BlkCheck::unsupported_operation);
    // parse_segments on a direct request is a caller's mistake, refused.
    BlkIo direct;
    REQUIRE(check(read_of(0, 1), direct) == BlkCheck::ok);
    blkif_request_segment seg{1, 0, 7};
    CHECK(parse_segments(&seg, {kSectors, 256}, direct) == BlkCheck::bad_indirect);
}
