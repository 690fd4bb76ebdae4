// The entry point, as a Xen PV kernel's: 64-bit mode at CPL3, rsp =
// kStackTopVa, rsi = start_info. Zeroes .bss (the builder zeroes it too;
// this does not depend on that), then calls kernel_main(start_info).
// Written as top-level asm so no compiler prologue runs before the stack
// and .bss are known good.
asm(R"(
    .section .text.entry, "ax", @progbits
    .globl _start
    .type _start, @function
_start:
    mov     %rsi, %rbx
    lea     __bss_start(%rip), %rdi
    lea     __bss_end(%rip), %rcx
    sub     %rdi, %rcx
    xor     %eax, %eax
    cld
    rep stosb
    and     $-16, %rsp
    mov     %rbx, %rdi
    call    kernel_main
    ud2
    .size _start, . - _start
    .previous
)");
