#include "verify/state_view.hpp"

#include "hvcore/core/frame_table.hpp"
#include "hvcore/core/grant_state.hpp"
#include "hvcore/core/limits.hpp"
#include "hvcore/core/page_table_entry.hpp"

namespace enso::verify {

z3::expr bv(std::uint64_t v, unsigned bits) {
    return sym_ctx().bv_val(v, bits);
}

namespace {
z3::expr sel(const z3::expr& a, const z3::expr& i) {
    return z3::select(a, i);
}
z3::expr zext32(const z3::expr& e) {
    return z3::zext(e, 32 - e.get_sort().bv_size());
}
} // namespace

z3::expr StateView::owner(const z3::expr& f) const {
    return sel(s_.frames.owner.expr(), f);
}
z3::expr StateView::count(const z3::expr& f) const {
    return sel(s_.frames.count.expr(), f);
}
z3::expr StateView::type(const z3::expr& f) const {
    return sel(s_.frames.type.expr(), f);
}
z3::expr StateView::tc(const z3::expr& f) const {
    return sel(s_.frames.type_count.expr(), f);
}
z3::expr StateView::flags(const z3::expr& f) const {
    return sel(s_.frames.flags.expr(), f);
}
z3::expr StateView::has(const z3::expr& f, unsigned flag) const {
    return (flags(f) & bv(flag, 8)) != bv(0, 8);
}
z3::expr StateView::owned_by(const z3::expr& f, const z3::expr& d16) const {
    return frame_ok(f) && has(f, core::kFrameAllocated) && owner(f) == d16;
}
z3::expr StateView::validated_table(const z3::expr& f) const {
    const z3::expr t = type(f);
    return z3::uge(t, bv(core::kTypeL1, 8)) && z3::ule(t, bv(core::kTypeL4, 8)) &&
           has(f, core::kFrameValidated);
}

z3::expr StateView::table_word_live(const z3::expr& f, const z3::expr& slot9) const {
    if (!progress_) {
        return validated_table(f);
    }
    // A validated table being devalidated has released the words below
    // progress; a table being validated (progress k + 1) has validated the
    // words below k.
    const z3::expr done = z3::select(*progress_, f);
    const z3::expr i = z3::zext(slot9, 7);
    const z3::expr t = type(f);
    return z3::uge(t, bv(core::kTypeL1, 8)) && z3::ule(t, bv(core::kTypeL4, 8)) &&
           z3::ite(has(f, core::kFrameValidated), z3::uge(i, done), z3::ult(i + bv(1, 16), done));
}

z3::expr StateView::in_validation(const z3::expr& f) const {
    if (!progress_) {
        return sym_ctx().bool_val(false);
    }
    return !has(f, core::kFrameValidated) && z3::select(*progress_, f) != bv(0, 16);
}

z3::expr StateView::progress_ghost() {
    auto& c = sym_ctx();
    return c.constant("ghost.table_work_progress", c.array_sort(c.bv_sort(32), c.bv_sort(16)));
}

z3::expr StateView::word(const z3::expr& f, const z3::expr& slot9) const {
    return s_.mem.word(f, slot9);
}
z3::expr StateView::present(const z3::expr& e) {
    return (e & bv(core::kPteP, 64)) != bv(0, 64);
}
z3::expr StateView::rw(const z3::expr& e) {
    return (e & bv(core::kPteRW, 64)) != bv(0, 64);
}
z3::expr StateView::target(const z3::expr& e) {
    return e.extract(43, 12); // as pte_frame: kPteFrameMask
}
z3::expr StateView::maddr(const z3::expr& f, const z3::expr& slot9) {
    return z3::shl(z3::zext(f, 32), bv(core::kPageShift, 64)) |
           z3::shl(z3::zext(slot9, 55), bv(3, 64));
}

z3::expr StateView::dom_state(const z3::expr& d) const {
    return sel(s_.doms.state.expr(), d);
}
z3::expr StateView::live(const z3::expr& d) const {
    return z3::ult(d, bv(core::kMaxDomains, 32)) && dom_state(d) == bv(core::kDomLive, 8);
}
z3::expr StateView::baseptr(const z3::expr& d) const {
    return sel(s_.doms.baseptr.expr(), d);
}
z3::expr StateView::shared_info(const z3::expr& d) const {
    return sel(s_.doms.shared_info.expr(), d);
}
z3::expr StateView::tot_pages(const z3::expr& d) const {
    return sel(s_.doms.tot_pages.expr(), d);
}
z3::expr StateView::nr_gframes(const z3::expr& d) const {
    return zext32(sel(s_.doms.gnttab_nr_frames.expr(), d));
}
z3::expr StateView::gframe(const z3::expr& g) const {
    return sel(s_.doms.gnttab_frame.expr(), g);
}
z3::expr StateView::status_frame(const z3::expr& d) const {
    return sel(s_.doms.gnttab_status.expr(), d);
}

z3::expr StateView::readers(const z3::expr& gi) const {
    return sel(s_.grants.act_readers.expr(), gi);
}
z3::expr StateView::writers(const z3::expr& gi) const {
    return sel(s_.grants.act_writers.expr(), gi);
}
z3::expr StateView::act_frame(const z3::expr& gi) const {
    return sel(s_.grants.act_frame.expr(), gi);
}
z3::expr StateView::active(const z3::expr& gi) const {
    return readers(gi) != bv(0, 32) || writers(gi) != bv(0, 32);
}

z3::expr StateView::act_grantee(const z3::expr& gi) const {
    return sel(s_.grants.act_grantee.expr(), gi);
}
z3::expr StateView::grant_word(const z3::expr& gi) const {
    const z3::expr gd = z3::lshr(gi, bv(core::kGrantRefBits, 32));
    const z3::expr ref = gi & bv(core::kMaxGrantRefs - 1, 32);
    const z3::expr g = z3::shl(gd, bv(core::kGrantFrameBits, 32)) |
                       z3::lshr(ref, bv(core::kGrantRefsPerFrameBits, 32));
    return word(gframe(g), ref.extract(8, 0));
}
z3::expr StateView::grant_ref_ok(const z3::expr& gi) const {
    const z3::expr gd = z3::lshr(gi, bv(core::kGrantRefBits, 32));
    const z3::expr ref = gi & bv(core::kMaxGrantRefs - 1, 32);
    return z3::ult(gi, bv(1U << 16, 32)) && live(gd) &&
           z3::ult(ref, z3::shl(nr_gframes(gd), bv(core::kGrantRefsPerFrameBits, 32)));
}

z3::expr StateView::map_flags(const z3::expr& mi) const {
    return sel(s_.grants.map_flags.expr(), mi);
}
z3::expr StateView::map_has(const z3::expr& mi, unsigned flag) const {
    return (map_flags(mi) & bv(flag, 8)) != bv(0, 8);
}
z3::expr StateView::granter(const z3::expr& mi) const {
    return sel(s_.grants.map_granter.expr(), mi);
}
z3::expr StateView::map_ref(const z3::expr& mi) const {
    return sel(s_.grants.map_ref.expr(), mi);
}
z3::expr StateView::host_addr(const z3::expr& mi) const {
    return sel(s_.grants.map_host_addr.expr(), mi);
}
z3::expr StateView::grant_of(const z3::expr& mi) const {
    return z3::shl(zext32(granter(mi)), bv(core::kGrantRefBits, 32)) | map_ref(mi);
}

z3::expr StateView::port_state(const z3::expr& pi) const {
    return sel(s_.evtchn.state.expr(), pi);
}
z3::expr StateView::remote_dom(const z3::expr& pi) const {
    return sel(s_.evtchn.remote_dom.expr(), pi);
}
z3::expr StateView::remote_port(const z3::expr& pi) const {
    return sel(s_.evtchn.remote_port.expr(), pi);
}

z3::expr StateView::witness(const z3::expr& f, const z3::expr& slot9) const {
    return z3::select(z3::select(witness_, f), slot9);
}

} // namespace enso::verify
