// The dispatcher: from a hypercall number to its row of the table, and multicall.
#include "hvcore/core/hypercall_dispatch.hpp"

#include "hvcore/core/guest_memory.hpp"

namespace enso::core {

long Dispatcher::call(std::uint16_t d, std::uint64_t nr, const HypercallArgs& args) {
    if (!core_.domain_exists(d)) {
        return kESRCH;
    }
    if (nr >= kTable.size() || kTable[nr].handler == nullptr) {
        return kENOSYS;
    }
    return (this->*kTable[nr].handler)(d, args);
}

// Each entry's result goes back into the guest's list; a multicall inside a
// multicall is refused rather than recursed into. An iret ends the list
// there, as in Xen since XSA-213: it has left the context the rest of the
// list was written for (possibly for user mode), so the rest must not run
// in it; the multicall returns what the iret returned.
long Dispatcher::multicall(std::uint16_t d, const HypercallArgs& a) {
    const GuestMemory guest(core_.state(), d);
    const std::uint64_t list = a[0];
    const std::uint64_t n = a[1];
    if (n > kMaxBatch) {
        return kE2BIG;
    }
    for (std::uint64_t i = 0; i < n; ++i) {
        const std::uint64_t at = list + i * sizeof(multicall_entry_t);
        multicall_entry_t entry{};
        if (guest.read_inout(at, entry) != kOk) {
            return kEFAULT;
        }
        long result = kEINVAL;
        if (entry.op != __HYPERVISOR_multicall) {
            const HypercallArgs args{entry.args[0], entry.args[1], entry.args[2], entry.args[3],
                                     entry.args[4]};
            result = call(d, entry.op, args);
        }
        entry.result = static_cast<xen_ulong_t>(result);
        if (guest.write(at + offsetof(multicall_entry_t, result), entry.result) != kOk) {
            return kEFAULT;
        }
        if (entry.op == __HYPERVISOR_iret) {
            return result;
        }
    }
    return kOk;
}

} // namespace enso::core
