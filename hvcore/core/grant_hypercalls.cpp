// grant_table_op: setup_table, query_size, map_grant_ref, unmap_grant_ref,
// unmap_and_replace and copy, each operation's status written back into the
// guest's array; set_version, get_version and get_status_frames, which Xen
// takes one at a time.
#include "hvcore/core/guest_memory.hpp"
#include "hvcore/core/hypercall_dispatch.hpp"

#include <vector>

namespace enso::core {

namespace {

bool grant_target(std::uint16_t caller, domid_t named, std::uint16_t& target) {
    target = named == DOMID_SELF ? caller : named;
    return target == caller || caller == 0;
}

// A frame number beyond 32 bits names no frame (kNoFrame is never owned).
CopySide<Concrete> copy_side(const gnttab_copy::gnttab_copy_ptr& p, bool gref) {
    const std::uint32_t frame =
        p.u.gmfn < kNoFrame ? static_cast<std::uint32_t>(p.u.gmfn) : kNoFrame;
    return {gref, gref ? p.u.ref : frame, p.domid, p.offset};
}

// Reads op i of an array, runs it, writes it back: one loop for every
// array-of-operations command.
template <class Op, class Fn>
long for_each_op(const GuestMemory& guest, std::uint64_t list, std::uint64_t n, Fn&& run) {
    if (n > kMaxBatch) {
        return kE2BIG;
    }
    for (std::uint64_t i = 0; i < n; ++i) {
        Op op{};
        const std::uint64_t at = list + i * sizeof(Op);
        if (guest.read_inout(at, op) != kOk) {
            return kEFAULT;
        }
        run(op);
        if (guest.write(at, op) != kOk) {
            return kEFAULT;
        }
    }
    return kOk;
}

// One operation that Xen takes alone (count 1), its structure written back
// whatever the result.
template <class Op, class Fn>
long single_op(const GuestMemory& guest, std::uint64_t at, Fn&& run) {
    return with_guest_arg<Op>(guest, at, WriteBack::kAlways, std::forward<Fn>(run));
}

} // namespace

long Dispatcher::grant_table_op(std::uint16_t d, const HypercallArgs& a) {
    const GuestMemory guest(core_.state(), d);
    const std::uint64_t list = a[1];
    const std::uint64_t n = a[2];
    switch (a[0]) {
    case GNTTABOP_setup_table:
        return for_each_op<gnttab_setup_table>(guest, list, n, [&](gnttab_setup_table& op) {
            std::uint16_t target = 0;
            if (!grant_target(d, op.dom, target)) {
                op.status = GNTST_permission_denied;
                return;
            }
            std::vector<std::uint32_t> frames;
            op.status =
                static_cast<std::int16_t>(core_.grant_setup_table(target, op.nr_frames, frames));
            const std::uint64_t out = handle_address(op.frame_list);
            for (std::size_t i = 0; op.status == GNTST_okay && i < frames.size(); ++i) {
                if (guest.write(out + i * sizeof(xen_pfn_t), static_cast<xen_pfn_t>(frames[i])) !=
                    kOk) {
                    op.status = GNTST_bad_virt_addr;
                }
            }
        });
    case GNTTABOP_query_size:
        return for_each_op<gnttab_query_size>(guest, list, n, [&](gnttab_query_size& op) {
            std::uint16_t target = 0;
            if (!grant_target(d, op.dom, target)) {
                op.status = GNTST_permission_denied;
            } else if (!core_.domain_exists(target)) {
                op.status = GNTST_bad_domain;
            } else {
                op.nr_frames = core_.state().doms.gnttab_nr_frames.get(target);
                op.max_nr_frames = kMaxGrantFrames;
                op.status = GNTST_okay;
            }
        });
    case GNTTABOP_map_grant_ref:
        return for_each_op<gnttab_map_grant_ref>(guest, list, n, [&](gnttab_map_grant_ref& op) {
            std::uint32_t handle = kNoHandle;
            std::uint64_t bus = 0;
            op.status = static_cast<std::int16_t>(
                core_.grant_map(d, op.dom, op.ref, op.flags, op.host_addr, handle, bus));
            op.handle = op.status == GNTST_okay ? handle : ~grant_handle_t{0};
            op.dev_bus_addr = bus;
        });
    case GNTTABOP_unmap_grant_ref:
        return for_each_op<gnttab_unmap_grant_ref>(guest, list, n, [&](gnttab_unmap_grant_ref& op) {
            op.status = static_cast<std::int16_t>(
                core_.grant_unmap(d, op.handle, op.host_addr, op.dev_bus_addr));
        });
    case GNTTABOP_unmap_and_replace:
        return for_each_op<gnttab_unmap_and_replace>(
            guest, list, n, [&](gnttab_unmap_and_replace& op) {
                op.status = static_cast<std::int16_t>(
                    core_.grant_unmap_and_replace(d, op.handle, op.host_addr, op.new_addr));
            });
    case GNTTABOP_copy:
        return for_each_op<gnttab_copy>(guest, list, n, [&](gnttab_copy& op) {
            op.status = static_cast<std::int16_t>(
                core_.grant_copy(d, copy_side(op.source, (op.flags & GNTCOPY_source_gref) != 0),
                                 copy_side(op.dest, (op.flags & GNTCOPY_dest_gref) != 0), op.len));
        });
    case GNTTABOP_set_version:
        return n != 1 ? kEINVAL
                      : single_op<gnttab_set_version>(guest, list, [&](gnttab_set_version& op) {
                            const Rc rc = core_.grant_set_version(d, op.version);
                            op.version = core_.grant_version(d); // Xen reports the version in force
                            return rc;
                        });
    case GNTTABOP_get_version:
        return n != 1 ? kEINVAL
                      : single_op<gnttab_get_version>(guest, list, [&](gnttab_get_version& op) {
                            std::uint16_t target = 0;
                            if (!grant_target(d, op.dom, target)) {
                                return kEPERM;
                            }
                            if (!core_.domain_exists(target)) {
                                return kESRCH;
                            }
                            op.version = core_.grant_version(target);
                            return kOk;
                        });
    case GNTTABOP_get_status_frames:
        return n != 1 ? kEINVAL
                      : single_op<gnttab_get_status_frames>(
                            guest, list, [&](gnttab_get_status_frames& op) {
                                op.status = static_cast<std::int16_t>(get_status_frames(
                                    guest, d, op.dom, op.nr_frames, handle_address(op.frame_list)));
                                return kOk;
                            });
    default:
        return kENOSYS;
    }
}

// One status frame serves every v2 entry (set_grant_version), so a guest may
// ask for at most one.
int Dispatcher::get_status_frames(const GuestMemory& guest, std::uint16_t d, domid_t dom,
                                  std::uint32_t nr_frames, std::uint64_t out) {
    std::uint16_t target = 0;
    if (!grant_target(d, dom, target)) {
        return GNTST_permission_denied;
    }
    if (!core_.domain_exists(target)) {
        return GNTST_bad_domain;
    }
    const std::uint32_t frame = core_.grant_status_frame(target);
    if (frame == kNoFrame || nr_frames > 1) {
        return GNTST_general_error;
    }
    if (nr_frames == 1 && guest.write(out, std::uint64_t{frame}) != kOk) {
        return GNTST_bad_virt_addr;
    }
    return GNTST_okay;
}

} // namespace enso::core
