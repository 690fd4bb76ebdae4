// One-operation shorthands for the hypercalls attacks make again and again:
// each returns what the guest sees (the hypercall's rax, or for grant
// operations the operation's GNTST_* status).
#pragma once

#include "workloads/guest/hypercall.hpp"

namespace enso::hostile {

inline long mmuext(unsigned cmd, uint64_t arg, domid_t dom = DOMID_SELF) {
    struct mmuext_op op {};
    op.cmd = cmd;
    op.arg1.mfn = arg; // a union with linear_addr
    return guest::HYPERVISOR_mmuext_op(&op, 1, nullptr, dom);
}

inline long mmu_update1(uint64_t ptr, uint64_t val, domid_t dom = DOMID_SELF) {
    mmu_update_t req{};
    req.ptr = ptr;
    req.val = val;
    return guest::HYPERVISOR_mmu_update(&req, 1, nullptr, dom);
}

// XENMEM_{increase,decrease}_reservation of one frame: extents done (0 or 1),
// or a -errno.
inline long reservation1(unsigned cmd, xen_pfn_t* frame, domid_t dom = DOMID_SELF) {
    xen_memory_reservation_t r{};
    set_xen_guest_handle(r.extent_start, frame);
    r.nr_extents = 1;
    r.extent_order = 0;
    r.domid = dom;
    return guest::HYPERVISOR_memory_op(cmd, &r);
}

inline long release_frame(uint64_t mfn) {
    xen_pfn_t f = mfn;
    return reservation1(XENMEM_decrease_reservation, &f);
}

inline long current_reservation() {
    domid_t self = DOMID_SELF;
    return guest::HYPERVISOR_memory_op(XENMEM_current_reservation, &self);
}

inline long grant_map(domid_t granter, grant_ref_t ref, uint32_t flags, uint64_t host_addr,
                      grant_handle_t* handle) {
    gnttab_map_grant_ref_t op{};
    op.host_addr = host_addr;
    op.flags = flags;
    op.ref = ref;
    op.dom = granter;
    const long rc = guest::HYPERVISOR_grant_table_op(GNTTABOP_map_grant_ref, &op, 1);
    if (rc != 0) {
        return rc;
    }
    if (handle != nullptr) {
        *handle = op.handle;
    }
    return op.status;
}

inline long grant_unmap(grant_handle_t handle, uint64_t host_addr) {
    gnttab_unmap_grant_ref_t op{};
    op.host_addr = host_addr;
    op.handle = handle;
    const long rc = guest::HYPERVISOR_grant_table_op(GNTTABOP_unmap_grant_ref, &op, 1);
    return rc != 0 ? rc : op.status;
}

inline long evtchn_alloc_unbound(domid_t dom, domid_t remote, evtchn_port_t* port) {
    evtchn_alloc_unbound_t op{};
    op.dom = dom;
    op.remote_dom = remote;
    const long rc = guest::HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &op);
    if (rc == 0 && port != nullptr) {
        *port = op.port;
    }
    return rc;
}

inline long evtchn_bind(domid_t remote, evtchn_port_t remote_port, evtchn_port_t* local) {
    evtchn_bind_interdomain_t op{};
    op.remote_dom = remote;
    op.remote_port = remote_port;
    const long rc = guest::HYPERVISOR_event_channel_op(EVTCHNOP_bind_interdomain, &op);
    if (rc == 0 && local != nullptr) {
        *local = op.local_port;
    }
    return rc;
}

inline long evtchn_close(evtchn_port_t port) {
    evtchn_close_t op{};
    op.port = port;
    return guest::HYPERVISOR_event_channel_op(EVTCHNOP_close, &op);
}

} // namespace enso::hostile
