// Boot: check what the builder handed over, set up the helpers, say hello,
// and serve commands forever.
#include "workloads/guest/boot_info.hpp"
#include "workloads/guest/command_loop.hpp"
#include "workloads/guest/console.hpp"
#include "workloads/guest/events.hpp"
#include "workloads/guest/frame_allocator.hpp"
#include "workloads/guest/hypercall.hpp"
#include "workloads/guest/page_tables.hpp"
#include "workloads/guest/string.hpp"

namespace enso::guest {

namespace {

[[noreturn]] void crash(const char* why) {
    printk("enso-guest: %s\n", why);
    sched_shutdown_t arg{};
    arg.reason = SHUTDOWN_crash;
    HYPERVISOR_sched_op(SCHEDOP_shutdown, &arg);
    for (;;) {
        asm volatile("ud2"); // the shutdown was refused: a fault ends the guest
    }
}

const char* transport_name(uint32_t t) {
    switch (t) {
    case abi::kTransportTrap:
        return "trap";
    case abi::kTransportExitless:
        return "exitless";
    default:
        return "unknown";
    }
}

} // namespace

} // namespace enso::guest

// Called from _start (start.cpp) with the start_info pointer from rsi.
extern "C" [[noreturn]] void kernel_main(start_info_t* si) {
    using namespace enso::guest;
    static constexpr char kMagic[] = "xen-3.0-x86_64";
    if (si == nullptr || memcmp(si->magic, kMagic, sizeof kMagic - 1) != 0) {
        crash("bad start_info magic");
    }
    enso::abi::CommandPage* cp = command_page();
    if (cp->boot_magic != enso::abi::kPingMagic) {
        crash("command page not initialised by the builder");
    }
    if (cp->first_free_pfn > si->nr_pages) {
        crash("first_free_pfn beyond nr_pages");
    }
    page_tables_init(*si);
    frames_init(reinterpret_cast<const uint64_t*>(si->mfn_list), cp->first_free_pfn, si->nr_pages);
    if (const long rc = events_init(cp->cmd_port); rc != 0) {
        printk("enso-guest: cannot unmask port %u: %ld\n", cp->cmd_port, rc);
    }
    printk("enso-guest: booted, transport=%s, %lu pages\n", transport_name(cp->transport),
           si->nr_pages);
    command_loop();
}
