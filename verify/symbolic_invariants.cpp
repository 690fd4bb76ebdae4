#include "verify/symbolic_invariants.hpp"

#include "hvcore/core/frame_table.hpp"
#include "hvcore/core/limits.hpp"
#include "hvcore/core/page_table_entry.hpp"

namespace enso::verify {

namespace {

using core::kFrameAllocated;
using core::kFramePinned;
using core::kFrameValidated;

// Field readers over raw expressions (t, f: 32-bit frame; i: 9-bit slot).
struct View {
    const SState& s;
    z3::context& c = sym_ctx();

    [[nodiscard]] z3::expr type(const z3::expr& f) const {
        return z3::select(s.frames.type.expr(), f);
    }
    [[nodiscard]] z3::expr flags(const z3::expr& f) const {
        return z3::select(s.frames.flags.expr(), f);
    }
    [[nodiscard]] z3::expr owner(const z3::expr& f) const {
        return z3::select(s.frames.owner.expr(), f);
    }
    [[nodiscard]] z3::expr count(const z3::expr& f) const {
        return z3::select(s.frames.count.expr(), f);
    }
    [[nodiscard]] z3::expr tc(const z3::expr& f) const {
        return z3::select(s.frames.type_count.expr(), f);
    }
    [[nodiscard]] z3::expr has(const z3::expr& f, unsigned flag) const {
        return (flags(f) & c.bv_val(flag, 8)) != 0;
    }
    [[nodiscard]] z3::expr is_table_type(const z3::expr& t) const {
        return z3::uge(t, c.bv_val(core::kTypeL1, 8)) && z3::ule(t, c.bv_val(core::kTypeL4, 8));
    }
    // A validated page table.
    [[nodiscard]] z3::expr vt(const z3::expr& f) const {
        return is_table_type(type(f)) && has(f, kFrameValidated);
    }
    [[nodiscard]] z3::expr entry(const z3::expr& t, const z3::expr& i) const {
        return s.mem.word(t, i);
    }
    [[nodiscard]] z3::expr present(const z3::expr& e) const {
        return (e & c.bv_val(core::kPteP, 64)) != 0;
    }
    [[nodiscard]] z3::expr rw(const z3::expr& e) const {
        return (e & c.bv_val(core::kPteRW, 64)) != 0;
    }
    // As pte_frame: bits 12..51, truncated to 32 bits.
    [[nodiscard]] z3::expr target(const z3::expr& e) const {
        return (e & c.bv_val(core::kPteAddrMask, 64)).extract(43, 12);
    }
    [[nodiscard]] z3::expr owned_by(const z3::expr& f, const z3::expr& d) const {
        return z3::ult(f, s.nr_frames.expr()) && has(f, kFrameAllocated) && owner(f) == d;
    }
};

} // namespace

namespace {

using B = Binders;

z3::expr bv(std::uint64_t v, unsigned bits) {
    return sym_ctx().bv_val(v, bits);
}

// What an entry at (t, i) is, in one place for every invariant.
struct Entry {
    View v;
    z3::expr e, tgt, level, vt, present, rw, upper;
    Entry(const SState& s, const z3::expr& t, const z3::expr& i)
        : v{s}, e(v.entry(t, i)), tgt(v.target(e)), level(v.type(t)), vt(v.vt(t)),
          present(v.present(e)), rw(v.rw(e)), upper(z3::uge(level, bv(core::kTypeL2, 8))) {}
};

z3::expr root_of(const SState& s, const z3::expr& d) {
    return z3::select(s.doms.baseptr.expr(), z3::zext(d, 16));
}

} // namespace

const std::vector<Invariant>& structural_invariants() {
    static const std::vector<Invariant> all = {
        {"flags_allowed", 1, 1, 0,
         [](const SState& s, const B& b) {
             const Entry x(s, b.frames[0], b.slots[0]);
             const z3::expr allowed = z3::ite(x.level == bv(core::kTypeL1, 8),
                                              bv(core::kL1Allowed, 64), bv(core::kLnAllowed, 64));
             return z3::implies(x.vt && x.present, (x.e & ~allowed) == 0);
         }},
        {"hierarchy", 1, 1, 0,
         [](const SState& s, const B& b) {
             const Entry x(s, b.frames[0], b.slots[0]);
             return z3::implies(x.vt && x.upper && x.present,
                                x.v.type(x.tgt) == x.level - 1 && x.v.has(x.tgt, kFrameValidated));
         }},
        {"ownership", 1, 1, 0,
         [](const SState& s, const B& b) {
             const Entry x(s, b.frames[0], b.slots[0]);
             return z3::implies(x.vt && x.upper && x.present,
                                x.v.owned_by(x.tgt, x.v.owner(b.frames[0])));
         }},
        {"no_writable_pagetable", 1, 1, 0,
         [](const SState& s, const B& b) {
             const Entry x(s, b.frames[0], b.slots[0]);
             return z3::implies(x.vt && x.level == bv(core::kTypeL1, 8) && x.present && x.rw &&
                                    x.v.owned_by(x.tgt, x.v.owner(b.frames[0])),
                                x.v.type(x.tgt) == bv(core::kTypeWritable, 8));
         }},
        {"pinned_is_pagetable", 1, 0, 0,
         [](const SState& s, const B& b) {
             const View v{s};
             return z3::implies(v.has(b.frames[0], kFramePinned), v.vt(b.frames[0]));
         }},
        {"pagetable_validated", 1, 0, 0,
         [](const SState& s, const B& b) {
             const View v{s};
             const z3::expr& f = b.frames[0];
             return z3::implies(v.is_table_type(v.type(f)) && v.tc(f) != 0,
                                v.has(f, kFrameValidated)) &&
                    z3::implies(v.has(f, kFrameValidated), v.is_table_type(v.type(f)));
         }},
        {"baseptr_valid", 0, 0, 1,
         [](const SState& s, const B& b) {
             const View v{s};
             const z3::expr root = root_of(s, b.doms[0]);
             return z3::implies(root != bv(core::kNoFrame, 32),
                                v.vt(root) && v.type(root) == bv(core::kTypeL4, 8) &&
                                    v.owner(root) == b.doms[0]);
         }},
    };
    return all;
}

const std::vector<Invariant>& refcount_coverage() {
    // A use beside the allocation reference leaves the count above one, so
    // dropping one use never frees a frame something else still uses.
    static const auto covers = [](const View& v, const z3::expr& f) {
        return z3::ite(v.has(f, kFrameAllocated), z3::uge(v.count(f), bv(2, 32)), v.count(f) != 0);
    };
    static const std::vector<Invariant> all = {
        {"entry_refs_covered", 1, 1, 0,
         [](const SState& s, const B& b) {
             const Entry x(s, b.frames[0], b.slots[0]);
             const z3::expr counted =
                 x.vt && x.present && (x.upper || x.v.owned_by(x.tgt, x.v.owner(b.frames[0])));
             return z3::implies(counted, covers(x.v, x.tgt) &&
                                             z3::implies(x.upper || x.rw, x.v.tc(x.tgt) != 0));
         }},
        {"pin_refs_covered", 1, 0, 0,
         [](const SState& s, const B& b) {
             const View v{s};
             return z3::implies(v.has(b.frames[0], kFramePinned),
                                covers(v, b.frames[0]) && v.tc(b.frames[0]) != 0);
         }},
        {"baseptr_refs_covered", 0, 0, 1,
         [](const SState& s, const B& b) {
             const View v{s};
             const z3::expr root = root_of(s, b.doms[0]);
             return z3::implies(root != bv(core::kNoFrame, 32), covers(v, root) && v.tc(root) != 0);
         }},
    };
    return all;
}

} // namespace enso::verify
