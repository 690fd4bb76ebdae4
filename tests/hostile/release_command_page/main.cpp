// Gives away the command page the monitor writes commands into: answers the
// go command, unmaps the page from both of its mappings, and returns the
// frame with decrease_reservation (allowed: it is the guest's own frame and
// nothing else references it). From then on the frame may be anybody's, so
// the monitor must refuse to post another command rather than write into
// it (the driver checks). The guest sleeps.
#include "tests/hostile/common/calls.hpp"
#include "tests/hostile/common/hostile.hpp"
#include "workloads/guest/boot_info.hpp"
#include "workloads/guest/events.hpp"
#include "workloads/guest/page_tables.hpp"

namespace enso::hostile {

const char test_title[] = "release_command_page";

void test_main(Args) {
    using namespace guest;
    const uint64_t maddr = read_entry(l1e_of(abi::kCommandPageVa)) & kPteAddrMask;
    reply(maddr >> kPageShift);
    no_answer();
    expect_errno("unmap the command page",
                 HYPERVISOR_update_va_mapping(abi::kCommandPageVa, 0, UVMF_INVLPG), 0);
    expect_errno("unmap it from the phys map",
                 HYPERVISOR_update_va_mapping(abi::kPhysMapVa + maddr, 0, UVMF_INVLPG), 0);
    expect_value("extents released: the command page", release_frame(maddr >> kPageShift), 1);
    info("command page %lx given back; sleeping", maddr >> kPageShift);
    for (;;) {
        block();
    }
}

} // namespace enso::hostile
