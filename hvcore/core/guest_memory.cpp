#include "hvcore/core/guest_memory.hpp"

#include "hvcore/core/frame_refs.hpp"
#include "hvcore/core/page_table_entry.hpp"

#include <algorithm>
#include <cstring>

namespace enso::core {

namespace {

// Writing through a hypercall must never touch what the PV MMU guards, nor
// the pages the core shares with the guest (their protocols assume only the
// guest and the core's own handlers write them).
bool writable_target(const CState& s, std::uint32_t f) {
    const auto t = s.frames.type.get(f);
    return !is_pagetable_type<Concrete>(t) && t != kTypeSegDesc &&
           !frame_has<Concrete>(s, f, kFrameXenRef);
}

} // namespace

std::uint32_t GuestMemory::translate(std::uint64_t gva, bool write) const {
    if (d_ >= kMaxDomains) {
        return kNoFrame;
    }
    const std::uint32_t root = s_.doms.baseptr.get(d_);
    std::uint32_t frame = kNoFrame;
    if (root == kNoFrame) {
        const std::uint64_t f = gva >> kPageShift;
        if (f >= s_.nr_frames || !owned_by<Concrete>(s_, static_cast<std::uint32_t>(f), d_)) {
            return kNoFrame;
        }
        frame = static_cast<std::uint32_t>(f);
    } else {
        if (!canonical_va<Concrete>(gva)) {
            return kNoFrame;
        }
        std::uint32_t table = root;
        for (unsigned level = 4; level >= 1; --level) {
            const std::uint64_t e = s_.mem.load64(table, va_slot<Concrete>(gva, level));
            if ((e & kPteP) == 0 || (e & kPteUS) == 0 || (write && (e & kPteRW) == 0)) {
                return kNoFrame;
            }
            table = pte_frame<Concrete>(e);
            if (table >= s_.nr_frames) {
                return kNoFrame;
            }
        }
        frame = table;
    }
    if (write && !writable_target(s_, frame)) {
        return kNoFrame;
    }
    return frame;
}

Rc GuestMemory::copy_from(std::uint64_t gva, std::span<std::byte> out) const {
    std::size_t done = 0;
    while (done < out.size()) {
        const std::uint64_t va = gva + done;
        if (va < gva) {
            return kEFAULT; // wrapped around the address space
        }
        const std::uint32_t f = translate(va, false);
        if (f == kNoFrame) {
            return kEFAULT;
        }
        const std::size_t off = va & (kPageSize - 1);
        const std::size_t n = std::min(out.size() - done, kPageSize - off);
        std::memcpy(out.data() + done, s_.mem.frame(f) + off, n);
        done += n;
    }
    return kOk;
}

bool GuestMemory::writable(std::uint64_t gva, std::size_t n) const {
    for (std::size_t done = 0; done < n;) {
        const std::uint64_t va = gva + done;
        if (va < gva || translate(va, true) == kNoFrame) {
            return false;
        }
        done += std::min(n - done, kPageSize - (va & (kPageSize - 1)));
    }
    return true;
}

Rc GuestMemory::copy_to(std::uint64_t gva, std::span<const std::byte> in) const {
    // Translate every page first, so a fault leaves guest memory untouched.
    if (!writable(gva, in.size())) {
        return kEFAULT;
    }
    std::size_t done = 0;
    while (done < in.size()) {
        const std::uint64_t va = gva + done;
        const std::uint32_t f = translate(va, true);
        const std::size_t off = va & (kPageSize - 1);
        const std::size_t n = std::min(in.size() - done, kPageSize - off);
        std::memcpy(s_.mem.frame(f) + off, in.data() + done, n);
        done += n;
    }
    return kOk;
}

} // namespace enso::core
