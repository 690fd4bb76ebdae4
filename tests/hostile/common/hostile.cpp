// The framework's side of a hostile guest: boot, wait for the go command,
// run the attack, report, answer, shut down (hostile.hpp).
#include "tests/hostile/common/hostile.hpp"

#include "workloads/guest/boot_info.hpp"
#include "workloads/guest/console.hpp"
#include "workloads/guest/events.hpp"
#include "workloads/guest/frame_allocator.hpp"
#include "workloads/guest/hypercall.hpp"
#include "workloads/guest/page_tables.hpp"
#include "workloads/guest/scratch_area.hpp"
#include "workloads/guest/string.hpp"
#include "workloads/guest/tsc.hpp"

namespace enso::hostile {

using namespace enso::guest;

namespace {

uint64_t g_seq = 0; // the command being served
uint64_t g_args[6];
unsigned g_checks = 0;
unsigned g_failures = 0;
char g_first_failure[160];
bool g_answer = true;

[[noreturn]] void shutdown(unsigned reason) {
    sched_shutdown_t arg{};
    arg.reason = reason;
    HYPERVISOR_sched_op(SCHEDOP_shutdown, &arg);
    for (;;) {
        asm volatile("ud2"); // the shutdown was refused: a fault ends the guest
    }
}

[[noreturn]] void crash(const char* why) {
    printk("hostile: %s: cannot start: %s\n", test_title, why);
    shutdown(SHUTDOWN_crash);
}

// Waits for a command other than `last`, as the command loop of enso-guest
// does, without its polling phase: the pending bit is cleared before seq is
// looked at, so a command posted in between leaves the block returning.
void wait_command(uint64_t last) {
    abi::CommandPage* cp = command_page();
    for (;;) {
        evtchn_clear(cp->cmd_port);
        const uint64_t seq = cp->seq;
        if (seq != last) {
            __atomic_thread_fence(__ATOMIC_ACQUIRE);
            g_seq = seq;
            for (unsigned i = 0; i < 6; ++i) {
                g_args[i] = cp->args[i];
            }
            return;
        }
        if (block() != 0) {
            cpu_relax();
        }
    }
}

void answer(int64_t status, const uint64_t (&values)[8]) {
    abi::CommandPage* cp = command_page();
    cp->status = status;
    for (unsigned i = 0; i < 8; ++i) {
        cp->values[i] = values[i];
    }
    __atomic_store_n(&cp->done_seq, g_seq, __ATOMIC_RELEASE);
    evtchn_send(cp->cmd_port);
}

void record(bool ok, const char* what, const char* got, const char* want) {
    ++g_checks;
    if (ok) {
        printk("hostile: %s: %s: %s, as expected\n", test_title, what, got);
        return;
    }
    printk("hostile: %s: %s: %s, expected %s\n", test_title, what, got, want);
    if (g_failures++ == 0) {
        const size_t n = strlen(what);
        const size_t keep = n < sizeof g_first_failure - 1 ? n : sizeof g_first_failure - 1;
        memcpy(g_first_failure, what, keep);
        g_first_failure[keep] = '\0';
    }
}

// Up to 40 characters: a name, or the number.
void format_code(char (&out)[40], const char* name, long v) {
    if (name != nullptr) {
        const size_t n = strlen(name);
        memcpy(out, name, n + 1);
        return;
    }
    out[0] = '\0';
    char tmp[40];
    size_t i = 0;
    unsigned long u = v < 0 ? static_cast<unsigned long>(-v) : static_cast<unsigned long>(v);
    do {
        tmp[i++] = static_cast<char>('0' + u % 10);
        u /= 10;
    } while (u != 0 && i < sizeof tmp - 2);
    size_t o = 0;
    if (v < 0) {
        out[o++] = '-';
    }
    while (i > 0) {
        out[o++] = tmp[--i];
    }
    out[o] = '\0';
}

} // namespace

const char* errno_name(long rc) {
    switch (rc) {
    case 0:
        return "0";
    case -XEN_EPERM:
        return "-EPERM";
    case -XEN_ESRCH:
        return "-ESRCH";
    case -XEN_EIO:
        return "-EIO";
    case -XEN_E2BIG:
        return "-E2BIG";
    case -XEN_EAGAIN:
        return "-EAGAIN";
    case -XEN_ENOMEM:
        return "-ENOMEM";
    case -XEN_EFAULT:
        return "-EFAULT";
    case -XEN_EBUSY:
        return "-EBUSY";
    case -XEN_EEXIST:
        return "-EEXIST";
    case -XEN_EINVAL:
        return "-EINVAL";
    case -XEN_ENOSPC:
        return "-ENOSPC";
    case -XEN_ENOSYS:
        return "-ENOSYS";
    case -XEN_EOVERFLOW:
        return "-EOVERFLOW";
    default:
        return nullptr;
    }
}

const char* gntst_name(long status) {
    static const char* const kNames[] = {
        "GNTST_okay",         "GNTST_general_error",   "GNTST_bad_domain",
        "GNTST_bad_gntref",   "GNTST_bad_handle",      "GNTST_bad_virt_addr",
        "GNTST_bad_dev_addr", "GNTST_no_device_space", "GNTST_permission_denied",
        "GNTST_bad_page",     "GNTST_bad_copy_arg",    "GNTST_address_too_big",
        "GNTST_eagain",       "GNTST_no_space",
    };
    if (status > 0 || -status >= static_cast<long>(sizeof kNames / sizeof kNames[0])) {
        return nullptr;
    }
    return kNames[-status];
}

void expect_errno(const char* what, long got, long want) {
    char g[40];
    char w[40];
    format_code(g, errno_name(got), got);
    format_code(w, errno_name(want), want);
    record(got == want, what, g, w);
}

void expect_gntst(const char* what, long got, long want) {
    char g[40];
    char w[40];
    format_code(g, gntst_name(got), got);
    format_code(w, gntst_name(want), want);
    record(got == want, what, g, w);
}

void expect_value(const char* what, uint64_t got, uint64_t want) {
    char g[40];
    char w[40];
    format_code(g, nullptr, static_cast<long>(got));
    format_code(w, nullptr, static_cast<long>(want));
    record(got == want, what, g, w);
}

void expect(const char* what, bool ok) {
    record(ok, what, ok ? "holds" : "does not hold", "to hold");
}

void info(const char* fmt, ...) {
    char line[200];
    __builtin_va_list ap;
    __builtin_va_start(ap, fmt);
    vsnprintk(line, sizeof line, fmt, ap);
    __builtin_va_end(ap);
    printk("hostile: %s: %s\n", test_title, line);
}

void reply(uint64_t v0, uint64_t v1, uint64_t v2, uint64_t v3) {
    const uint64_t values[8] = {v0, v1, v2, v3};
    answer(0, values);
}

Args next_command() {
    wait_command(g_seq);
    return g_args;
}

Args handshake(uint64_t v0, uint64_t v1, uint64_t v2, uint64_t v3) {
    reply(v0, v1, v2, v3);
    return next_command();
}

void no_answer() {
    g_answer = false;
}

uint64_t scratch_page(unsigned slot) {
    if (slot >= kScratchWindows) {
        return 0;
    }
    const uint64_t va = kScratchWindowVa + uint64_t{slot} * abi::kPageSize;
    uint64_t l1e = 0;
    if (ensure_l1_entry(va, &l1e) != 0) {
        return 0;
    }
    return va;
}

uint64_t l1e_of(uint64_t va) {
    return guest::l1_entry_maddr(va);
}

} // namespace enso::hostile

// Called from _start (the runtime's start.cpp) with start_info from rsi.
extern "C" [[noreturn]] void kernel_main(start_info_t* si) {
    using namespace enso::hostile;
    static constexpr char kMagic[] = "xen-3.0-x86_64";
    if (si == nullptr || memcmp(si->magic, kMagic, sizeof kMagic - 1) != 0) {
        crash("bad start_info magic");
    }
    enso::abi::CommandPage* cp = command_page();
    if (cp->boot_magic != enso::abi::kPingMagic || cp->first_free_pfn > si->nr_pages) {
        crash("command page not initialised by the builder");
    }
    page_tables_init(*si);
    frames_init(reinterpret_cast<const uint64_t*>(si->mfn_list), cp->first_free_pfn, si->nr_pages);
    if (events_init(cp->cmd_port) != 0) {
        crash("cannot unmask the command port");
    }
    info("ready, waiting for the go command");
    wait_command(cp->done_seq);
    test_main(g_args);
    if (g_failures == 0) {
        printk("hostile: %s: PASS (%u checks, all as expected)\n", test_title, g_checks);
    } else {
        printk("hostile: %s: FAIL (%u of %u checks failed; first: %s)\n", test_title, g_failures,
               g_checks, g_first_failure);
    }
    if (g_answer) {
        const uint64_t values[8] = {g_checks, g_failures};
        answer(g_failures == 0 ? 0 : -XEN_EIO, values);
        // A guest that stops right after answering may have its answer
        // reported as a stop: shut down on the driver's next command.
        wait_command(g_seq);
    }
    shutdown(SHUTDOWN_poweroff);
}
