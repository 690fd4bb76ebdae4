// The granter's side: it grants one of its frames to domain 0 and, while
// domain 0 maps it, ends access every way it can - the polite cmpxchg
// (-EBUSY), then plain stores that clear the entry and re-grant the
// reference to the victim with another frame - and tries to give the frame
// back to the pool. The core holds the frame for the mapping, whatever the
// entry says: no extent is released until domain 0 unmaps.
//   step 1 (go): grant; answer {ref, frame}   (the driver maps it as dom0)
//   step 2: the attack; answer                (the driver checks, unmaps)
//   step 3: the frame can go now
// Seeded-bug twin (the same bug planted in the core and killed by the prover):
// verify/mutants/xsa230_status_cleared_early.cpp.
#include "tests/hostile/common/calls.hpp"
#include "tests/hostile/common/hostile.hpp"
#include "workloads/guest/boot_info.hpp"
#include "workloads/guest/frame_allocator.hpp"
#include "workloads/guest/grants.hpp"
#include "workloads/guest/page_tables.hpp"
#include "workloads/guest/string.hpp"

namespace enso::hostile {

const char test_title[] = "grant_end_while_mapped";

void test_main(Args a) {
    using namespace guest;
    const uint64_t mfn = alloc_frame();
    const uint64_t other = alloc_frame();
    memset(phys_ptr(mfn << kPageShift), 0x44, abi::kPageSize);
    const long ref = grant_access(0, mfn, false);
    expect("a grant to domain 0", ref > 0);
    a = handshake(static_cast<uint64_t>(ref), mfn);

    const auto r = static_cast<uint32_t>(ref);
    expect_errno("end access with the protocol's cmpxchg", grant_end_access(r), -XEN_EBUSY);
    volatile uint64_t* entry = reinterpret_cast<volatile uint64_t*>(&grant_table()[r]);
    *entry = 0; // flags, domid and frame: access "ended" by force
    expect_errno(
        "unmap the frame from its own phys map",
        HYPERVISOR_update_va_mapping(abi::kPhysMapVa + (mfn << kPageShift), 0, UVMF_INVLPG), 0);
    expect_value("extents released: the frame domain 0 maps", release_frame(mfn), 0);
    // The same reference, now for the victim and another frame.
    *entry = (other << 32) | (a[kArgVictim] << 16) | GTF_permit_access;
    expect_value("extents released: still", release_frame(mfn), 0);
    handshake();
    expect_value("extents released once domain 0 unmapped", release_frame(mfn), 1);
    *entry = 0;
}

} // namespace enso::hostile
