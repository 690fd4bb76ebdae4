#include "verify/handler_catalog.hpp"

#include "hvcore/core/descriptor_update.hpp"
#include "hvcore/core/domain_lifecycle.hpp"
#include "hvcore/core/event_channel_ops.hpp"
#include "hvcore/core/grant_ops.hpp"
#include "hvcore/core/memory_reservation.hpp"
#include "hvcore/core/pv_mmu.hpp"
#include "hvcore/core/vcpu_root.hpp"
#include "verify/destroy_steps.hpp"
#include "verify/guest_step.hpp"
#include "verify/table_work_steps.hpp"

namespace enso::verify {

namespace {

using core::Rc;
using core::State;

// --- PV MMU -----------------------------------------------------------------
struct MmuUpdate {
    template <class V>
    static Rc run(State<V>& s, const Args<V>& a) {
        return core::mmu_update_entry<V>(s, a.u16(0), a.u64(1), a.u64(2));
    }
};
struct PinTable {
    template <class V>
    static Rc run(State<V>& s, const Args<V>& a) {
        return core::pin_table<V>(s, a.u16(0), a.u32(1), a.u8(2));
    }
};
struct HoldVcpuRoot {
    template <class V>
    static Rc run(State<V>& s, const Args<V>& a) {
        return core::hold_vcpu_root<V>(s, a.u16(0), a.u32(1));
    }
};
struct UnpinTable {
    template <class V>
    static Rc run(State<V>& s, const Args<V>& a) {
        return core::unpin_table<V>(s, a.u16(0), a.u32(1));
    }
};
struct NewBaseptr {
    template <class V>
    static Rc run(State<V>& s, const Args<V>& a) {
        return core::new_baseptr<V>(s, a.u16(0), a.u32(1));
    }
};
struct UpdateDescriptor {
    template <class V>
    static Rc run(State<V>& s, const Args<V>& a) {
        return core::update_descriptor<V>(s, a.u16(0), a.u64(1), a.u64(2));
    }
};
struct TlbFlushLocal {
    template <class V>
    static Rc run(State<V>& s, const Args<V>& a) {
        return core::tlb_flush_local<V>(s, a.u16(0));
    }
};
struct InvlpgLocal {
    template <class V>
    static Rc run(State<V>& s, const Args<V>& a) {
        return core::invlpg_local<V>(s, a.u16(0), a.u64(1));
    }
};
struct UpdateVaMapping {
    template <class V>
    static Rc run(State<V>& s, const Args<V>& a) {
        return core::update_va_mapping<V>(s, a.u16(0), a.u64(1), a.u64(2), a.u64(3));
    }
};

// --- Grant tables -----------------------------------------------------------
struct GnttabSetup {
    template <class V>
    static Rc run(State<V>& s, const Args<V>& a) {
        return core::gnttab_add_frame<V>(s, a.u16(0), a.u32(1));
    }
};
struct GrantSetVersion {
    template <class V>
    static Rc run(State<V>& s, const Args<V>& a) {
        return core::set_grant_version<V>(s, a.u16(0), a.u32(1), a.u32(2));
    }
};
struct GrantMap {
    template <class V>
    static Rc run(State<V>& s, const Args<V>& a) {
        typename V::U64 bus{};
        return core::grant_map<V>(s, a.u16(0), a.u16(1), a.u32(2), a.u32(3), a.u64(4), a.u32(5),
                                  bus);
    }
};
struct GrantUnmap {
    template <class V>
    static Rc run(State<V>& s, const Args<V>& a) {
        return core::grant_unmap<V>(s, a.u16(0), a.u32(1), a.u64(2), a.u64(3));
    }
};
struct GrantUnmapAndReplace {
    template <class V>
    static Rc run(State<V>& s, const Args<V>& a) {
        return core::grant_unmap_and_replace<V>(s, a.u16(0), a.u32(1), a.u64(2), a.u64(3));
    }
};
struct GrantCopy {
    template <class V>
    static Rc run(State<V>& s, const Args<V>& a) {
        const core::CopySide<V> src{a.flag(1), a.u32(2), a.u16(3), a.u32(4)};
        const core::CopySide<V> dst{a.flag(5), a.u32(6), a.u16(7), a.u32(8)};
        return core::grant_copy<V>(s, a.u16(0), src, dst, a.u32(9));
    }
};

// --- Event channels ---------------------------------------------------------
struct EvtchnAllocUnbound {
    template <class V>
    static Rc run(State<V>& s, const Args<V>& a) {
        return core::evtchn_alloc_unbound<V>(s, a.u16(0), a.u16(1), a.u16(2), a.u32(3));
    }
};
struct EvtchnBindInterdomain {
    template <class V>
    static Rc run(State<V>& s, const Args<V>& a) {
        return core::evtchn_bind_interdomain<V>(s, a.u16(0), a.u16(1), a.u32(2), a.u32(3));
    }
};
struct EvtchnSend {
    template <class V>
    static Rc run(State<V>& s, const Args<V>& a) {
        return core::evtchn_send<V>(s, a.u16(0), a.u32(1));
    }
};
struct EvtchnClose {
    template <class V>
    static Rc run(State<V>& s, const Args<V>& a) {
        return core::evtchn_close<V>(s, a.u16(0), a.u32(1));
    }
};
struct EvtchnUnmask {
    template <class V>
    static Rc run(State<V>& s, const Args<V>& a) {
        return core::evtchn_unmask<V>(s, a.u16(0), a.u32(1));
    }
};
struct EvtchnStatus {
    template <class V>
    static Rc run(State<V>& s, const Args<V>& a) {
        core::EvtchnStatus<V> out{};
        return core::evtchn_status<V>(s, a.u16(0), a.u16(1), a.u32(2), out);
    }
};

// --- memory_op --------------------------------------------------------------
struct ReserveFrame {
    template <class V>
    static Rc run(State<V>& s, const Args<V>& a) {
        return core::reserve_frame<V>(s, a.u16(0), a.u32(1));
    }
};
struct ReleaseFrame {
    template <class V>
    static Rc run(State<V>& s, const Args<V>& a) {
        return core::release_frame<V>(s, a.u16(0), a.u32(1));
    }
};

// --- Domains ----------------------------------------------------------------
struct DomainCreate {
    template <class V>
    static Rc run(State<V>& s, const Args<V>& a) {
        return core::domain_create<V>(s, a.u16(0), a.u32(1), a.u32(2));
    }
};

const ArgSpec kD{"d", 16};

std::vector<HandlerSpec> make_catalog() {
    std::vector<HandlerSpec> c;
    const auto live = caller_is_live;
    c.push_back(make_spec<MmuUpdate>("mmu_update", "mmu",
                                     "one MMU_NORMAL_PT_UPDATE / MMU_PT_UPDATE_PRESERVE_AD request",
                                     {kD, {"ptr", 64}, {"val", 64}}, live));
    c.push_back(make_spec<UpdateVaMapping>("update_va_mapping", "mmu",
                                           "update_va_mapping: the L1 entry that maps va",
                                           {kD, {"va", 64}, {"val", 64}, {"flags", 64}}, live));
    c.push_back(make_spec<PinTable>("pin_table", "mmu", "MMUEXT_PIN_L{1,2,3,4}_TABLE",
                                    {kD, {"frame", 32}, {"level", 8}}, live));
    c.push_back(make_spec<UnpinTable>("unpin_table", "mmu", "MMUEXT_UNPIN_TABLE",
                                      {kD, {"frame", 32}}, live));
    c.push_back(make_spec<HoldVcpuRoot>("hold_vcpu_root", "mmu",
                                        "VCPUOP_initialise: the root of a vCPU not running yet",
                                        {kD, {"frame", 32}}, live));
    c.push_back(make_spec<NewBaseptr>("new_baseptr", "mmu", "MMUEXT_NEW_BASEPTR",
                                      {kD, {"frame", 32}}, live));
    c.push_back(make_spec<UpdateDescriptor>("update_descriptor", "mmu",
                                            "update_descriptor: one segment descriptor",
                                            {kD, {"maddr", 64}, {"desc", 64}}, live));
    c.push_back(
        make_spec<TlbFlushLocal>("tlb_flush_local", "mmu", "MMUEXT_TLB_FLUSH_LOCAL", {kD}, live));
    c.push_back(make_spec<InvlpgLocal>("invlpg_local", "mmu", "MMUEXT_INVLPG_LOCAL",
                                       {kD, {"va", 64}}, live));
    c.push_back(make_spec<GnttabSetup>("gnttab_setup_table", "grant",
                                       "GNTTABOP_setup_table: one more grant-table frame",
                                       {kD, {"frame", 32}}));
    c.push_back(make_spec<GrantSetVersion>(
        "grant_set_version", "grant",
        "GNTTABOP_set_version: to v2 with a new status frame, back to v1 freeing it",
        {kD, {"version", 32}, {"status_frame", 32}}, live));
    c.push_back(make_spec<GrantMap>(
        "grant_map", "grant", "GNTTABOP_map_grant_ref",
        {kD, {"granter", 16}, {"ref", 32}, {"flags", 32}, {"host_addr", 64}, {"handle", 32}},
        live));
    c.push_back(make_spec<GrantUnmap>("grant_unmap", "grant", "GNTTABOP_unmap_grant_ref",
                                      {kD, {"handle", 32}, {"host_addr", 64}, {"dev_bus_addr", 64}},
                                      live));
    c.push_back(make_spec<GrantUnmapAndReplace>(
        "grant_unmap_and_replace", "grant", "GNTTABOP_unmap_and_replace",
        {kD, {"handle", 32}, {"host_addr", 64}, {"new_addr", 64}}, live));
    c.push_back(make_spec<GrantCopy>("grant_copy", "grant", "GNTTABOP_copy",
                                     {kD,
                                      {"src_is_gref", 1},
                                      {"src_ref_or_frame", 32},
                                      {"src_dom", 16},
                                      {"src_offset", 32},
                                      {"dst_is_gref", 1},
                                      {"dst_ref_or_frame", 32},
                                      {"dst_dom", 16},
                                      {"dst_offset", 32},
                                      {"len", 32}},
                                     live));
    c.push_back(make_spec<EvtchnAllocUnbound>(
        "evtchn_alloc_unbound", "event", "EVTCHNOP_alloc_unbound",
        {{"caller", 16}, {"dom", 16}, {"remote_dom", 16}, {"port", 32}}, live));
    c.push_back(make_spec<EvtchnBindInterdomain>(
        "evtchn_bind_interdomain", "event", "EVTCHNOP_bind_interdomain",
        {kD, {"remote_dom", 16}, {"remote_port", 32}, {"local_port", 32}}, live));
    c.push_back(
        make_spec<EvtchnSend>("evtchn_send", "event", "EVTCHNOP_send", {kD, {"port", 32}}, live));
    c.push_back(make_spec<EvtchnClose>("evtchn_close", "event", "EVTCHNOP_close",
                                       {kD, {"port", 32}}, live));
    c.push_back(make_spec<EvtchnUnmask>("evtchn_unmask", "event", "EVTCHNOP_unmask",
                                        {kD, {"port", 32}}, live));
    c.push_back(make_spec<EvtchnStatus>("evtchn_status", "event", "EVTCHNOP_status",
                                        {{"caller", 16}, {"dom", 16}, {"port", 32}}, live));
    c.push_back(make_spec<ReserveFrame>(
        "increase_reservation", "memory",
        "XENMEM_increase_reservation / populate_physmap: one extent", {kD, {"frame", 32}}));
    c.push_back(make_spec<ReleaseFrame>("decrease_reservation", "memory",
                                        "XENMEM_decrease_reservation: one extent",
                                        {kD, {"frame", 32}}, live));
    c.push_back(make_spec<DomainCreate>("domain_create", "domain",
                                        "domain creation with its shared_info frame",
                                        {kD, {"max_pages", 32}, {"shared_info_frame", 32}}));
    for (auto& step : destroy_steps()) {
        c.push_back(std::move(step));
    }
    for (auto& step : table_work_steps()) {
        c.push_back(std::move(step));
    }
    c.push_back(guest_step());
    return c;
}

} // namespace

z3::expr caller_is_live(const SState& s, const Args<Symbolic>& a) {
    const z3::expr d = z3::zext(a.raw(0), 16);
    return z3::ult(d, sym_ctx().bv_val(core::kMaxDomains, 32)) &&
           z3::select(s.doms.state.expr(), d) == sym_ctx().bv_val(core::kDomLive, 8);
}

const std::vector<HandlerSpec>& handler_catalog() {
    static const std::vector<HandlerSpec> all = make_catalog();
    return all;
}

const HandlerSpec* find_handler(std::string_view name) {
    for (const auto& h : handler_catalog()) {
        if (h.name == name) {
            return &h;
        }
    }
    return nullptr;
}

} // namespace enso::verify
