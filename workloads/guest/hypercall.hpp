// Hypercalls through the hypercall page the builder wrote at
// kHypercallPageVa: `call kHypercallPageVa + nr * 32`, Xen's x86-64 ABI
// (arguments in rdi, rsi, rdx, r10, r8; result in rax). The stub hides the
// transport (trap or exitless), so nothing here knows which one runs.
//
// Clobbers: rcx and r11 (as Xen's syscall path), and every argument register
// (as Linux assumes: a stub may use them); memory, since the monitor reads
// and writes arguments in guest memory.
#pragma once

#include "hvcore/abi/guest_layout.hpp"
#include "hvcore/abi/hypercall_ports.hpp"
#include "workloads/guest/xen.hpp"

namespace enso::guest {

template <uint32_t Nr>
inline constexpr uint64_t kStubVa = abi::kHypercallPageVa + uint64_t{Nr} * abi::kStubSize;

// The calls are direct (`call <absolute stub address>`): the kernel and the
// page are both below 2 GiB, so a rel32 call reaches it.
template <uint32_t Nr>
inline long _hypercall0() {
    static_assert(Nr < abi::kStubCommonEntry);
    long rax;
    asm volatile("call %c[entry]"
                 : "=a"(rax)
                 : [entry] "i"(kStubVa<Nr>)
                 : "rdi", "rsi", "rdx", "r10", "r8", "rcx", "r11", "memory", "cc");
    return rax;
}

template <uint32_t Nr>
inline long _hypercall1(uint64_t a1) {
    static_assert(Nr < abi::kStubCommonEntry);
    long rax;
    asm volatile("call %c[entry]"
                 : "=a"(rax), "+D"(a1)
                 : [entry] "i"(kStubVa<Nr>)
                 : "rsi", "rdx", "r10", "r8", "rcx", "r11", "memory", "cc");
    return rax;
}

template <uint32_t Nr>
inline long _hypercall2(uint64_t a1, uint64_t a2) {
    static_assert(Nr < abi::kStubCommonEntry);
    long rax;
    asm volatile("call %c[entry]"
                 : "=a"(rax), "+D"(a1), "+S"(a2)
                 : [entry] "i"(kStubVa<Nr>)
                 : "rdx", "r10", "r8", "rcx", "r11", "memory", "cc");
    return rax;
}

template <uint32_t Nr>
inline long _hypercall3(uint64_t a1, uint64_t a2, uint64_t a3) {
    static_assert(Nr < abi::kStubCommonEntry);
    long rax;
    asm volatile("call %c[entry]"
                 : "=a"(rax), "+D"(a1), "+S"(a2), "+d"(a3)
                 : [entry] "i"(kStubVa<Nr>)
                 : "r10", "r8", "rcx", "r11", "memory", "cc");
    return rax;
}

template <uint32_t Nr>
inline long _hypercall4(uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4) {
    static_assert(Nr < abi::kStubCommonEntry);
    long rax;
    register uint64_t r10 asm("r10") = a4;
    asm volatile("call %c[entry]"
                 : "=a"(rax), "+D"(a1), "+S"(a2), "+d"(a3), "+r"(r10)
                 : [entry] "i"(kStubVa<Nr>)
                 : "r8", "rcx", "r11", "memory", "cc");
    return rax;
}

template <uint32_t Nr>
inline long _hypercall5(uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5) {
    static_assert(Nr < abi::kStubCommonEntry);
    long rax;
    register uint64_t r10 asm("r10") = a4;
    register uint64_t r8 asm("r8") = a5;
    asm volatile("call %c[entry]"
                 : "=a"(rax), "+D"(a1), "+S"(a2), "+d"(a3), "+r"(r10), "+r"(r8)
                 : [entry] "i"(kStubVa<Nr>)
                 : "rcx", "r11", "memory", "cc");
    return rax;
}

// A hypercall whose number is known only at run time (kCmdHypercall). Only
// the per-number stubs may be called: past them lies the transport's shared
// code, which is not an entry point.
inline long hypercall_raw(uint64_t nr, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
                          uint64_t a5) {
    if (nr >= abi::kStubCommonEntry) {
        return -XEN_ENOSYS;
    }
    const uint64_t entry = abi::kHypercallPageVa + nr * abi::kStubSize;
    long rax;
    register uint64_t r10 asm("r10") = a4;
    register uint64_t r8 asm("r8") = a5;
    asm volatile("call *%[entry]"
                 : "=a"(rax), "+D"(a1), "+S"(a2), "+d"(a3), "+r"(r10), "+r"(r8)
                 : [entry] "r"(entry)
                 : "rcx", "r11", "memory", "cc");
    return rax;
}

template <class T>
inline uint64_t ptr_arg(T* p) {
    return reinterpret_cast<uintptr_t>(p);
}

// Typed wrappers, named and shaped as in Linux and XTF.

inline long HYPERVISOR_xen_version(int cmd, void* arg) {
    return _hypercall2<__HYPERVISOR_xen_version>(static_cast<uint64_t>(cmd), ptr_arg(arg));
}

inline long HYPERVISOR_console_io(int cmd, unsigned count, const char* str) {
    return _hypercall3<__HYPERVISOR_console_io>(static_cast<uint64_t>(cmd), count, ptr_arg(str));
}

inline long HYPERVISOR_mmu_update(const mmu_update_t* req, unsigned count, unsigned* success_count,
                                  domid_t domid) {
    return _hypercall4<__HYPERVISOR_mmu_update>(ptr_arg(req), count, ptr_arg(success_count), domid);
}

inline long HYPERVISOR_mmuext_op(const struct mmuext_op* op, unsigned count,
                                 unsigned* success_count, domid_t domid) {
    return _hypercall4<__HYPERVISOR_mmuext_op>(ptr_arg(op), count, ptr_arg(success_count), domid);
}

inline long HYPERVISOR_update_va_mapping(uint64_t va, uint64_t new_pte, uint64_t flags) {
    return _hypercall3<__HYPERVISOR_update_va_mapping>(va, new_pte, flags);
}

inline long HYPERVISOR_memory_op(unsigned cmd, void* arg) {
    return _hypercall2<__HYPERVISOR_memory_op>(cmd, ptr_arg(arg));
}

inline long HYPERVISOR_grant_table_op(unsigned cmd, void* uop, unsigned count) {
    return _hypercall3<__HYPERVISOR_grant_table_op>(cmd, ptr_arg(uop), count);
}

inline long HYPERVISOR_event_channel_op(int cmd, void* arg) {
    return _hypercall2<__HYPERVISOR_event_channel_op>(static_cast<uint64_t>(cmd), ptr_arg(arg));
}

inline long HYPERVISOR_multicall(multicall_entry_t* calls, unsigned nr_calls) {
    return _hypercall2<__HYPERVISOR_multicall>(ptr_arg(calls), nr_calls);
}

inline long HYPERVISOR_callback_op(int cmd, const void* arg) {
    return _hypercall2<__HYPERVISOR_callback_op>(static_cast<uint64_t>(cmd), ptr_arg(arg));
}

inline long HYPERVISOR_sched_op(int cmd, void* arg) {
    return _hypercall2<__HYPERVISOR_sched_op>(static_cast<uint64_t>(cmd), ptr_arg(arg));
}

// The floor stub: answered at once by the monitor, without the core.
inline long hypercall_floor() {
    return _hypercall0<abi::kFloorHypercall>();
}

} // namespace enso::guest
