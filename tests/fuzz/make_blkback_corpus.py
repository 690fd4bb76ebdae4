#!/usr/bin/env python3
"""Writes the seed corpus of blkback_fuzzer (tests/fuzz/corpus/blkback/).

Each seed is a short, meaningful front-end session, encoded the way
blkback_fuzzer.cpp decodes it with FuzzedDataProvider: integers from the
END of the input (most significant byte first, as many bytes as the range
needs), raw byte strings from the FRONT. The helpers mirror the harness's
choice functions one for one; if the harness changes its decoding, rerun
this script and check a seed with
    ENSO_FUZZ_TRACE=1 build/fuzz/tests/fuzz/blkback_fuzzer tests/fuzz/corpus/blkback/<seed>
"""
import os
import sys

# `enum Op` in blkback_fuzzer.cpp.
(REQUEST, RAW_REQUEST, INDIRECT, PUSH, SET_PROD, SCRIBBLE, GRANT, END_GRANT, POLL,
 FINAL_CHECK, CONSUME) = range(11)
OP_COUNT = 11
MAP, COPY, PERSISTENT = range(3)
READ, WRITE, FLUSH = 0, 1, 3
PAGES = 24
DISK_SECTORS = (256 << 10) >> 9


def nbytes(span):
    n = 0
    while n < 8 and (span >> (8 * n)) > 0:
        n += 1
    return n


class Seed:
    def __init__(self, path, persistent=32, extra_maps=64, bounce=64):
        self.front = b""
        self.tail = []
        self.range(0, 2, path)
        # fuzz_limits(): the persistent cache, extra map budget, bounce frames.
        self.range(0, 32, persistent)
        self.range(0, 64, extra_maps)
        self.range(1, 64, bounce)

    def range(self, lo, hi, value):
        n = nbytes(hi - lo)
        v = value - lo
        self.tail += [(v >> (8 * (n - 1 - i))) & 0xFF for i in range(n)]

    def any(self, bits, value):
        self.range(0, (1 << bits) - 1, value)

    def bytes(self, raw):
        self.front += raw

    def op(self, op):
        self.range(0, OP_COUNT - 1, op)

    # gref(): an index into the harness's granted pages.
    def gref(self, page):
        self.range(0, 9, 5)
        self.range(0, PAGES - 1, page)

    def segment(self, page, first=0, last=7):
        self.gref(page)
        self.range(0, 7, 1)
        self.range(0, 7, first)
        self.range(first, 7, last)

    def sector(self, s):
        self.range(0, 5, 3)
        self.range(0, DISK_SECTORS - 1, s)

    def request(self, operation, pages, sector, rid):
        self.op(REQUEST)
        self.range(0, 9, 5)  # one of the usual operations
        self.range(0, 7, {READ: 0, WRITE: 1, FLUSH: 4}[operation])
        self.range(0, 7, 1)
        self.range(0, 11, len(pages))
        self.any(64, rid)
        self.sector(sector)
        for i in range(11):
            self.segment(pages[i] if i < len(pages) else 0)

    def indirect(self, operation, nsegs, sector, rid, first_page=0, one_sector=False):
        self.op(INDIRECT)
        self.range(0, 5, 1)
        self.range(1, 300, nsegs)
        for i in range(min(nsegs, 512)):
            page = first_page + i % (PAGES - first_page)
            self.segment(page, 0, 0 if one_sector else 7)
        self.range(0, 5, 1)
        self.range(0, 1, operation)
        self.any(64, rid)
        self.sector(sector)
        for _ in range(8):
            self.range(0, 3, 1)  # the indirect page's own gref

    def push(self):
        self.op(PUSH)

    def poll(self, n=4):
        self.op(POLL)
        self.range(1, 4, n)

    def consume(self):
        self.op(CONSUME)

    def data(self):
        return self.front + bytes(reversed(self.tail))


def seeds():
    out = {}
    s = Seed(MAP)
    s.request(WRITE, [0, 1, 2], 8, 1)
    s.push(); s.poll(); s.consume()
    s.request(READ, [5, 6, 7], 8, 2)
    s.push(); s.poll(); s.consume()
    out["map-write-read"] = s

    s = Seed(COPY)
    s.request(WRITE, list(range(11)), 0, 10)
    s.request(READ, [3], DISK_SECTORS - 8, 11)
    s.request(FLUSH, [], 0, 12)
    s.push(); s.poll(); s.consume()
    out["copy-write-read-flush"] = s

    s = Seed(PERSISTENT)
    s.indirect(WRITE, 16, 32, 20)
    s.push(); s.poll(); s.consume()
    s.indirect(READ, 16, 32, 21)
    s.push(); s.poll(); s.poll(); s.consume()
    out["persistent-indirect"] = s

    s = Seed(MAP)
    s.request(READ, [1], 0, 30)
    s.push()
    s.op(SET_PROD); s.range(0, 1, 1); s.any(32, 0xDEADBEEF)
    s.poll(); s.consume()
    out["map-garbage-prod"] = s

    s = Seed(PERSISTENT)
    s.request(READ, [2, 3], 0, 40)
    s.push(); s.poll()
    s.op(END_GRANT); s.range(0, PAGES - 1, 2)
    s.op(GRANT); s.range(0, PAGES - 1, 3); s.range(0, 3, 1); s.range(0, 1, 1); s.range(0, 4, 0)
    s.request(READ, [2, 3], 0, 41)
    s.push(); s.poll(); s.consume()
    out["persistent-regrant"] = s

    # Past a tiny persistent cache, a full indirect request maps its 256
    # segments and its indirect page per request (once overflowed the
    # request's handle array).
    s = Seed(PERSISTENT, persistent=2)
    s.request(READ, [0, 1], 0, 60)
    s.push(); s.poll()
    s.indirect(WRITE, 256, 0, 61, first_page=2, one_sector=True)
    s.push(); s.poll(); s.consume()
    out["persistent-past-cache-indirect"] = s

    s = Seed(COPY)
    s.request(WRITE, [4, 5], 16, 50)
    s.push()
    s.op(SCRIBBLE); s.range(0, 4095, 64); s.range(1, 64, 32); s.bytes(bytes(range(32)))
    s.poll(); s.op(FINAL_CHECK); s.consume()
    out["copy-scribble"] = s
    return out


def main():
    root = os.path.dirname(os.path.abspath(__file__))
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "corpus", "blkback")
    os.makedirs(outdir, exist_ok=True)
    for name, seed in seeds().items():
        with open(os.path.join(outdir, name), "wb") as f:
            f.write(seed.data())
    print(f"wrote {len(seeds())} seeds to {outdir}")


if __name__ == "__main__":
    main()
