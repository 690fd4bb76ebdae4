// A plain store into its own L4 through the phys map, where page tables are
// mapped read-only: the CPU refuses it, and as the guest has no exception
// handlers (CPL3, no IDT) the fault ends it. Expected outcome: stopped, with
// CR2 at the L4's slot 300. Reaching the line after the store is a FAIL.
#include "tests/hostile/common/hostile.hpp"
#include "workloads/guest/page_tables.hpp"

namespace enso::hostile {

const char test_title[] = "write_pagetable_store";

void test_main(Args) {
    using namespace guest;
    const uint64_t va = abi::kPhysMapVa + current_root() + 300 * 8;
    info("storing into its own L4 at %lx: expecting a fault", va);
    *reinterpret_cast<volatile uint64_t*>(va) = kPteTable | current_root();
    expect("the store into a page table faulted", false);
}

} // namespace enso::hostile
