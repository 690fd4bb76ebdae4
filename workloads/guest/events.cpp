#include "workloads/guest/events.hpp"

#include "workloads/guest/boot_info.hpp"
#include "workloads/guest/hypercall.hpp"

namespace enso::guest {

namespace {

constexpr unsigned kBitsPerWord = sizeof(xen_ulong_t) * 8;

xen_ulong_t port_bit(evtchn_port_t port) {
    return xen_ulong_t{1} << (port % kBitsPerWord);
}

} // namespace

namespace {

constexpr unsigned kMaxHandlers = 8;
struct HandlerSlot {
    evtchn_port_t port = 0;
    PortHandler fn = nullptr;
};
HandlerSlot g_handlers[kMaxHandlers];
bool g_upcall_registered = false;
volatile uint64_t g_interrupts = 0;

vcpu_info_t* vcpu0() {
    return &shared_info()->vcpu_info[0];
}

PortHandler handler_of(evtchn_port_t port) {
    for (const auto& h : g_handlers) {
        if (h.fn != nullptr && h.port == port) {
            return h.fn;
        }
    }
    return nullptr;
}

// Whether a port with a handler is pending and unmasked.
bool handled_pending() {
    const shared_info_t* si = shared_info();
    for (const auto& h : g_handlers) {
        if (h.fn == nullptr) {
            continue;
        }
        const unsigned w = h.port / kBitsPerWord;
        const xen_ulong_t bits = __atomic_load_n(&si->evtchn_pending[w], __ATOMIC_SEQ_CST) &
                                 ~__atomic_load_n(&si->evtchn_mask[w], __ATOMIC_SEQ_CST);
        if ((bits & port_bit(h.port)) != 0) {
            return true;
        }
    }
    return false;
}

// One scan, as Xen's evtchn_do_upcall: clear upcall_pending, take the
// selector, call the handler of each pending unmasked port. Ports without
// a handler stay pending, and so do their selector bits and upcall_pending
// (the code that polls them, and SCHEDOP_block, still see them).
void scan() {
    shared_info_t* si = shared_info();
    vcpu_info_t* v = vcpu0();
    __atomic_store_n(&v->evtchn_upcall_pending, uint8_t{0}, __ATOMIC_SEQ_CST);
    xen_ulong_t sel = __atomic_exchange_n(&v->evtchn_pending_sel, xen_ulong_t{0}, __ATOMIC_SEQ_CST);
    // The handled ports' words too: evtchn_clear (the command loop's) clears
    // a whole word's selector bit, which can leave a handled port pending
    // behind a clear selector - and this loop spinning on it.
    for (const auto& h : g_handlers) {
        if (h.fn != nullptr) {
            sel |= xen_ulong_t{1} << (h.port / kBitsPerWord);
        }
    }
    xen_ulong_t left = 0;
    while (sel != 0) {
        const auto w = static_cast<unsigned>(__builtin_ctzl(sel));
        sel &= sel - 1;
        xen_ulong_t bits = __atomic_load_n(&si->evtchn_pending[w], __ATOMIC_SEQ_CST) &
                           ~__atomic_load_n(&si->evtchn_mask[w], __ATOMIC_SEQ_CST);
        while (bits != 0) {
            const auto b = static_cast<unsigned>(__builtin_ctzl(bits));
            bits &= bits - 1;
            const evtchn_port_t port = w * kBitsPerWord + b;
            if (const PortHandler fn = handler_of(port); fn != nullptr) {
                __atomic_fetch_and(&si->evtchn_pending[w], ~port_bit(port), __ATOMIC_SEQ_CST);
                fn(port);
            } else {
                left |= xen_ulong_t{1} << w;
            }
        }
    }
    if (left != 0) {
        __atomic_fetch_or(&v->evtchn_pending_sel, left, __ATOMIC_SEQ_CST);
        __atomic_store_n(&v->evtchn_upcall_pending, uint8_t{1}, __ATOMIC_SEQ_CST);
    }
}

// With the upcall masked: scan until no handled port is pending, unmask,
// and look once more (an event between the last scan and the unmask raised
// no interrupt: the monitor saw the mask).
void run_upcall() {
    vcpu_info_t* v = vcpu0();
    do {
        __atomic_store_n(&v->evtchn_upcall_mask, uint8_t{1}, __ATOMIC_SEQ_CST);
        do {
            scan();
        } while (handled_pending());
        __atomic_store_n(&v->evtchn_upcall_mask, uint8_t{0}, __ATOMIC_SEQ_CST);
    } while (handled_pending());
}

} // namespace

// Called by the entry stub below, on the interrupted code's stack.
extern "C" void evtchn_upcall() {
    g_interrupts = g_interrupts + 1;
    if (__atomic_load_n(&vcpu0()->evtchn_upcall_mask, __ATOMIC_SEQ_CST) != 0) {
        return; // masked (the monitor injected before it saw the mask): events_unmask runs it
    }
    run_upcall();
}

// The IDT gate's target, at CPL3 on the interrupted stack (a trap gate: no
// stack switch, IF stays set, so a nested entry finds the upcall masked and
// returns). Saves what the C++ call may clobber: the caller-saved registers
// and the SSE state (the kernel's code uses SSE), with DF cleared.
asm(R"(
    .text
    .globl evtchn_upcall_entry
    .type evtchn_upcall_entry, @function
evtchn_upcall_entry:
    push    %rax
    push    %rcx
    push    %rdx
    push    %rsi
    push    %rdi
    push    %r8
    push    %r9
    push    %r10
    push    %r11
    push    %rbp
    mov     %rsp, %rbp
    and     $-16, %rsp
    sub     $512, %rsp
    fxsave64 (%rsp)
    cld
    call    evtchn_upcall
    fxrstor64 (%rsp)
    mov     %rbp, %rsp
    pop     %rbp
    pop     %r11
    pop     %r10
    pop     %r9
    pop     %r8
    pop     %rdi
    pop     %rsi
    pop     %rdx
    pop     %rcx
    pop     %rax
    iretq
    .size evtchn_upcall_entry, . - evtchn_upcall_entry
)");

extern "C" void evtchn_upcall_entry();

long events_enable_upcall() {
    if (g_upcall_registered) {
        return 0;
    }
    events_mask();
    callback_register cb{};
    cb.type = CALLBACKTYPE_event;
    cb.flags = 0;
    cb.address = reinterpret_cast<xen_callback_t>(&evtchn_upcall_entry);
    const long rc = HYPERVISOR_callback_op(CALLBACKOP_register, &cb);
    g_upcall_registered = rc == 0;
    return rc;
}

bool events_upcall_enabled() {
    return g_upcall_registered;
}

void events_set_handler(evtchn_port_t port, PortHandler handler) {
    HandlerSlot* free_slot = nullptr;
    for (auto& h : g_handlers) {
        if (h.fn != nullptr && h.port == port) {
            h.fn = handler;
            return;
        }
        if (h.fn == nullptr && free_slot == nullptr) {
            free_slot = &h;
        }
    }
    if (free_slot != nullptr && handler != nullptr) {
        free_slot->port = port;
        free_slot->fn = handler;
    }
}

void events_mask() {
    __atomic_store_n(&vcpu0()->evtchn_upcall_mask, uint8_t{1}, __ATOMIC_SEQ_CST);
}

void events_unmask() {
    __atomic_store_n(&vcpu0()->evtchn_upcall_mask, uint8_t{0}, __ATOMIC_SEQ_CST);
    if (handled_pending()) {
        run_upcall();
    }
}

uint64_t events_interrupts() {
    return g_interrupts;
}

long events_init(evtchn_port_t port) {
    shared_info_t* si = shared_info();
    if (!g_upcall_registered) {
        // Unmasked for SCHEDOP_block's sake (the monitor wakes a blocked
        // vCPU on upcall_pending); once an upcall is registered the mask is
        // the guest's virtual IF and stays as it is.
        __atomic_store_n(&si->vcpu_info[0].evtchn_upcall_mask, uint8_t{0}, __ATOMIC_SEQ_CST);
    }
    if ((__atomic_load_n(&si->evtchn_mask[port / kBitsPerWord], __ATOMIC_SEQ_CST) &
         port_bit(port)) == 0) {
        return 0;
    }
    evtchn_unmask_t op{};
    op.port = port;
    return HYPERVISOR_event_channel_op(EVTCHNOP_unmask, &op);
}

long evtchn_send(evtchn_port_t port) {
    evtchn_send_t op{};
    op.port = port;
    return HYPERVISOR_event_channel_op(EVTCHNOP_send, &op);
}

void evtchn_clear(evtchn_port_t port) {
    shared_info_t* si = shared_info();
    const unsigned word = port / kBitsPerWord;
    __atomic_store_n(&si->vcpu_info[0].evtchn_upcall_pending, uint8_t{0}, __ATOMIC_SEQ_CST);
    __atomic_fetch_and(&si->vcpu_info[0].evtchn_pending_sel, ~(xen_ulong_t{1} << word),
                       __ATOMIC_SEQ_CST);
    __atomic_fetch_and(&si->evtchn_pending[word], ~port_bit(port), __ATOMIC_SEQ_CST);
}

bool evtchn_pending(evtchn_port_t port) {
    const shared_info_t* si = shared_info();
    return (__atomic_load_n(&si->evtchn_pending[port / kBitsPerWord], __ATOMIC_SEQ_CST) &
            port_bit(port)) != 0;
}

long block() {
    return HYPERVISOR_sched_op(SCHEDOP_block, nullptr);
}

} // namespace enso::guest
