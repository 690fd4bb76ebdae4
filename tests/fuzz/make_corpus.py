#!/usr/bin/env python3
"""Writes the seed corpus of core_fuzzer (tests/fuzz/corpus/core/).

Each seed is a short, meaningful operation sequence, encoded the way
core_fuzzer.cpp decodes it with FuzzedDataProvider: integers are taken from
the END of the input (most significant byte first, as many bytes as the
range needs), raw byte strings from the FRONT. The helpers below mirror the
harness's choice functions one for one; if the harness changes its
decoding, the seeds stay valid inputs but may mean something else: rerun
this script and check with
    ENSO_FUZZ_TRACE=1 build/fuzz/tests/fuzz/core_fuzzer tests/fuzz/corpus/core/<seed>

Frame numbers in the comments assume the harness's machine: 128 frames,
domains 0..3 created in order (shared_info frames 1..4), so the first
reserved frame is 5.
"""
import os
import struct
import sys

# Operation numbers: the order of `enum Op` in core_fuzzer.cpp.
(RESERVE, RELEASE, MMU_UPDATE, PIN, UNPIN, NEW_BASEPTR, UPDATE_VA, GRANT_SETUP, GRANT_WRITE,
 GRANT_END_ACCESS, GRANT_MAP, GRANT_UNMAP, GRANT_COPY, EVTCHN_ALLOC, EVTCHN_BIND, EVTCHN_PORT,
 EVTCHN_MASK, LIFECYCLE, BUILD_AS, STAGE_SET, STAGE_BYTES, STAGE_WORD, HYPERCALL,
 STAGED_HYPERCALL) = range(24)

DOMID_SELF = 0x7FF0
FRAMES = 128
# Index into kHypercalls.
HC = {"mmu_update": 0, "mmuext_op": 1, "update_va_mapping": 2, "memory_op": 3,
      "grant_table_op": 4, "event_channel_op": 5, "multicall": 6, "console_io": 7,
      "xen_version": 8, "sched_op": 9}
GNTMAP_host_map, GNTMAP_readonly, GNTMAP_contains_pte = 1 << 1, 1 << 2, 1 << 4


class Seed:
    def __init__(self):
        self.front = b""
        self.tail = []  # integer bytes, in the order the harness consumes them

    # --- FuzzedDataProvider ---
    def rng(self, lo, hi, v):
        assert lo <= v <= hi, (lo, hi, v)
        span, raw, n = hi - lo, v - lo, 0
        while n < 8 and (span >> (8 * n)) > 0:
            n += 1
        self.tail += list(raw.to_bytes(n, "big")) if n else []

    def any(self, bits, v):
        self.rng(0, (1 << bits) - 1, v)

    def coin(self, b):
        self.any(8, 1 if b else 0)

    def raw(self, data):
        self.front += data

    def bytes(self):
        return self.front + bytes(reversed(self.tail))

    # --- the harness's choices ---
    def op(self, op, d):
        self.any(8, op)
        self.rng(0, 3, d)

    def domid(self, v):
        if v == DOMID_SELF:
            self.rng(0, 7, 0)
        elif v <= 3:
            self.rng(0, 7, 3)
            self.rng(0, 3, v)
        else:
            self.rng(0, 7, 2)
            self.any(16, v)

    def own_frame(self, idx):  # frame_for: the idx-th frame the caller owns
        self.rng(0, 9, 0)
        self.any(8, idx)

    def frame(self, f):  # frame_for: a frame number in range
        self.rng(0, 9, 8)
        self.rng(0, FRAMES + 4, f)

    def table(self, idx):  # table_for: the idx-th validated table of that level
        self.rng(0, 3, 1)
        self.any(8, idx)

    def slot(self, s):  # slot_maddr, no command bits
        self.rng(0, 511, s)
        self.rng(0, 7, 1)

    def ref(self, r):
        self.coin(True)
        self.rng(0, 15, r)

    def port(self, p):
        self.coin(True)
        self.rng(0, 9, p)

    def reg_small(self, v):
        self.rng(0, 9, 0)
        self.rng(0, 16, v)

    def reg_staged(self):
        self.rng(0, 9, 1)

    # --- operations ---
    def build(self, d):
        self.op(BUILD_AS, d)

    def reserve(self, d):
        self.op(RESERVE, d)

    def stage(self, d, idx=0):
        self.op(STAGE_SET, d)
        self.any(8, idx)
        self.coin(True)  # start at offset 0

    def stage_bytes(self, d, data):
        while data:
            chunk, data = data[:64], data[64:]
            self.op(STAGE_BYTES, d)
            self.rng(1, 64, len(chunk))
            self.raw(chunk)

    def staged_call(self, d, name, cmd_or_count, count=0):
        """(ptr, count, 0, SELF) for list-first calls, else (cmd, ptr, count, 0, 0)."""
        self.op(STAGED_HYPERCALL, d)
        self.rng(0, 11, HC[name])
        if name in ("mmu_update", "mmuext_op", "multicall"):
            self.rng(0, 8, cmd_or_count)
            self.coin(True)  # no done pointer
            self.reg_small(0)
        else:
            self.rng(0, 12, cmd_or_count)
            self.rng(0, 4, count)
            self.reg_small(0)
            self.reg_small(0)
        self.rng(0, 15, 1)  # as d itself

    def call(self, d, name, regs):
        """A raw hypercall; regs: ints (small) or 'staged'."""
        self.op(HYPERCALL, d)
        self.rng(0, 11, HC[name])
        for r in (list(regs) + [0] * 5)[:5]:
            if r == "staged":
                self.reg_staged()
            else:
                self.reg_small(r)
        self.rng(0, 15, 1)

    def grant_setup(self, d, n):
        self.op(GRANT_SETUP, d)
        self.rng(0, 5, n)

    def grant_write(self, d, ref, grantee, own_idx, readonly=False):
        self.op(GRANT_WRITE, d)
        self.ref(ref)
        self.domid(grantee)
        self.coin(True)
        self.coin(not readonly)
        self.own_frame(own_idx)

    def grant_map(self, d, granter, ref, flags, l1_idx, slot):
        self.op(GRANT_MAP, d)
        self.domid(granter)
        self.ref(ref)
        self.any(8, flags)
        self.rng(0, 15, 1)
        self.rng(0, 3, 2)
        self.table(l1_idx)
        self.slot(slot)

    def grant_unmap(self, d, handle):
        self.op(GRANT_UNMAP, d)
        self.coin(True)
        self.rng(0, 7, handle)
        self.rng(0, 3, 0)

    def grant_end_access(self, d, ref):
        self.op(GRANT_END_ACCESS, d)
        self.ref(ref)

    def grant_copy_from_ref(self, d, granter, ref, own_idx, length):
        self.op(GRANT_COPY, d)
        self.coin(True)  # source: a grant reference
        self.ref(ref)
        self.domid(granter)
        self.coin(True)
        self.rng(0, 4096, 0)
        self.coin(False)  # destination: an own frame
        self.own_frame(own_idx)
        self.coin(True)  # DOMID_SELF
        self.coin(True)
        self.rng(0, 4096, 0)
        self.coin(True)
        self.rng(0, 4096, length)

    def evtchn_alloc(self, d, remote):
        self.op(EVTCHN_ALLOC, d)
        self.coin(True)  # dom = DOMID_SELF
        self.domid(remote)

    def evtchn_bind_offered(self, d):
        self.op(EVTCHN_BIND, d)
        self.domid(0)
        self.port(0)
        self.coin(True)

    def evtchn(self, d, what, port):
        self.op(EVTCHN_PORT, d)
        self.port(port)
        self.rng(0, 3, {"send": 0, "close": 1, "unmask": 2, "pending": 3}[what])

    def evtchn_mask(self, d, port, masked):
        self.op(EVTCHN_MASK, d)
        self.rng(0, 1023, port)
        self.coin(masked)

    def destroy(self, d):
        self.op(LIFECYCLE, d)
        self.rng(0, 3, 1)
        self.rng(0, 7, 1)

    def create(self, d, quota):
        self.op(LIFECYCLE, d)
        self.rng(0, 3, 0)
        self.rng(0, 24 + 8, quota)
        self.rng(0, 7, 1)


def q(*words):
    return b"".join(struct.pack("<Q", w) for w in words)


def pte(frame, flags=0x7):  # present, writable, user
    return (frame << 12) | flags


def maddr(frame, slot):
    return (frame << 12) | (slot << 3)


def seeds():
    out = {}

    # d1 builds an address space (data f5, L1 f6 .. L4 f9), then through
    # hypercalls maps f5 again at slot 1, flushes, and invalidates va 0.
    s = Seed()
    s.build(1)
    s.stage(1)
    s.stage_bytes(1, q(maddr(6, 1), pte(5)))
    s.staged_call(1, "mmu_update", 1)
    s.stage(1)
    s.stage_bytes(1, struct.pack("<IIQQ", 6, 0, 0, 0) + struct.pack("<IIQQ", 7, 0, 0, 0))
    s.staged_call(1, "mmuext_op", 2)
    s.build(2)
    s.call(1, "xen_version", [0])
    out["address_space"] = s

    # d2 builds an address space (f5..f9), d1 grants f10 to d2, d2 maps it
    # into its L1 at slot 1, copies from it, unmaps; d1 ends access.
    s = Seed()
    s.build(2)
    s.reserve(1)
    s.grant_setup(1, 1)
    s.grant_write(1, 0, 2, own_idx=1)  # d1 owns f2 (shared_info), f10, f11 (grant frame)
    s.grant_map(2, 1, 0, GNTMAP_host_map | GNTMAP_contains_pte, l1_idx=0, slot=1)
    s.grant_copy_from_ref(2, 1, 0, own_idx=1, length=64)  # d2 owns f3, f5..f9: f5
    s.grant_unmap(2, 0)
    s.grant_end_access(1, 0)
    out["grant_map"] = s

    # The same map, then the granter is destroyed while mapped; the grantee
    # unmaps afterwards, and the granter is created again.
    s = Seed()
    s.build(2)
    s.reserve(1)
    s.grant_setup(1, 1)
    s.grant_write(1, 0, 2, own_idx=1, readonly=True)
    s.grant_map(2, 1, 0, GNTMAP_host_map | GNTMAP_contains_pte | GNTMAP_readonly, 0, 1)
    s.destroy(1)
    s.grant_unmap(2, 0)
    s.create(1, 24)
    out["grant_destroy"] = s

    # d1 offers a port to d2, d2 binds it and sends; d1 masks, d2 sends
    # again, d1 unmasks and closes.
    s = Seed()
    s.evtchn_alloc(1, 2)
    s.evtchn_bind_offered(2)
    s.evtchn(2, "send", 1)
    s.evtchn(1, "pending", 1)
    s.evtchn_mask(1, 1, True)
    s.evtchn(2, "send", 1)
    s.evtchn(1, "unmask", 1)
    s.evtchn(1, "close", 1)
    out["evtchn"] = s

    # Argument structures in guest memory, before any address space: d1
    # reserves f5 and stages arguments there for event_channel_op,
    # memory_op, grant_table_op, console_io and sched_op.
    s = Seed()
    s.reserve(1)
    s.stage(1)
    s.stage_bytes(1, struct.pack("<HHI", DOMID_SELF, 2, 0))  # evtchn_alloc_unbound
    s.staged_call(1, "event_channel_op", 6)  # EVTCHNOP_alloc_unbound
    s.stage(1)
    s.stage_bytes(1, q(maddr(5, 16), 2, 0, DOMID_SELF))  # xen_memory_reservation
    s.staged_call(1, "memory_op", 0)  # XENMEM_increase_reservation
    s.stage(1)
    s.stage_bytes(1, struct.pack("<HHIhxxxxxxQ", DOMID_SELF, 0, 1, 0, maddr(5, 64)))
    s.staged_call(1, "grant_table_op", 2, 1)  # GNTTABOP_setup_table
    s.stage(1)
    s.stage_bytes(1, b"hello from d1\n")
    s.call(1, "console_io", [0, 14, "staged"])  # CONSOLEIO_write
    s.call(1, "sched_op", [0])  # SCHEDOP_yield
    out["staged_hypercalls"] = s
    return out


def main():
    root = os.path.dirname(os.path.abspath(__file__))
    dest = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "corpus", "core")
    os.makedirs(dest, exist_ok=True)
    for name, seed in seeds().items():
        with open(os.path.join(dest, name), "wb") as f:
            f.write(seed.bytes())
        print(f"{name}: {len(seed.bytes())} bytes")


if __name__ == "__main__":
    main()
