// memory_op: reservations one extent (order 0) at a time. The P2M is the
// identity, so populate_physmap behaves as increase_reservation and writes
// the machine frame it chose back into the guest's list.
#include "hvcore/core/guest_memory.hpp"
#include "hvcore/core/hypercall_dispatch.hpp"

namespace enso::core {

namespace {

// Xen keeps the low bits of the command for the command, the rest for a
// continuation start; a guest passes zero there.
constexpr std::uint64_t kMemopCmdMask = 0x3f;

// Domain 0 may act on others; a guest only on itself.
bool target_domain(std::uint16_t caller, domid_t named, std::uint16_t& target) {
    target = named == DOMID_SELF ? caller : named;
    return target == caller || caller == 0;
}

} // namespace

long Dispatcher::memory_op(std::uint16_t d, const HypercallArgs& a) {
    const GuestMemory guest(core_.state(), d);
    const std::uint64_t cmd = a[0] & kMemopCmdMask;
    if (cmd == XENMEM_current_reservation || cmd == XENMEM_maximum_reservation) {
        domid_t named = 0;
        std::uint16_t target = 0;
        if (guest.read(a[1], named) != kOk) {
            return kEFAULT;
        }
        if (!target_domain(d, named, target)) {
            return kEPERM;
        }
        if (!core_.domain_exists(target)) {
            return kESRCH;
        }
        const auto& doms = core_.state().doms;
        return cmd == XENMEM_current_reservation ? doms.tot_pages.get(target)
                                                 : doms.max_pages.get(target);
    }
    if (cmd != XENMEM_increase_reservation && cmd != XENMEM_decrease_reservation &&
        cmd != XENMEM_populate_physmap) {
        return kENOSYS;
    }
    xen_memory_reservation_t res{};
    std::uint16_t target = 0;
    if (guest.read(a[1], res) != kOk) {
        return kEFAULT;
    }
    if (!target_domain(d, res.domid, target)) {
        return kEPERM;
    }
    if (!core_.domain_exists(target)) {
        return kESRCH;
    }
    if (res.extent_order != 0) {
        return kEINVAL; // only single frames: no superpages for PV guests
    }
    if (res.nr_extents > kMaxBatch) {
        return kE2BIG;
    }
    const std::uint64_t list = handle_address(res.extent_start);
    long done = 0;
    for (; done < static_cast<long>(res.nr_extents); ++done) {
        const std::uint64_t at = list + static_cast<std::uint64_t>(done) * sizeof(xen_pfn_t);
        xen_pfn_t pfn = 0;
        if (cmd != XENMEM_increase_reservation && guest.read(at, pfn) != kOk) {
            break;
        }
        if (cmd == XENMEM_decrease_reservation) {
            if (pfn >= core_.nr_frames() ||
                core_.release_frame(target, static_cast<std::uint32_t>(pfn)) != kOk) {
                break;
            }
            continue;
        }
        std::uint32_t frame = kNoFrame;
        if (core_.reserve_frame(target, frame) != kOk) {
            break;
        }
        if (list != 0 && guest.write(at, static_cast<xen_pfn_t>(frame)) != kOk) {
            core_.release_frame(target, frame);
            break;
        }
    }
    return done;
}

} // namespace enso::core
