// The platform with hand-assembled guests: boot, console, shutdown over both
// transports; faults and a deadline stop the guest, and the monitor goes on.
#include "hvcore/abi/guest_layout.hpp"
#include "hvcore/kvm/monitor.hpp"
#include "kvm_or_skip.hpp"
#include "tiny_guest.hpp"

#include <catch2/catch.hpp>
#include <xen/xen.h>

#include <chrono>
#include <cstddef>
#include <thread>
#include <unistd.h>

using enso::abi::Transport;
using enso::kvm::DomainConfig;
using enso::kvm::GuestStop;
using enso::kvm::Monitor;
using enso::kvm::StopKind;
using enso::test::TinyGuest;

namespace {

constexpr std::uint32_t kConsoleIo = 18;
constexpr std::uint32_t kSchedOp = 29;
constexpr std::uint32_t kXenVersion = 17;

std::string temp_path(const std::string& name) {
    return "/tmp/enso-test-" + std::to_string(::getpid()) + "-" + name + ".elf";
}

GuestStop wait_stopped(Monitor& m, std::uint16_t d) {
    for (int i = 0; i < 2000; ++i) {
        if (auto stop = m.stopped(d)) {
            return *stop;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    FAIL("the guest did not stop within 10 s");
    return {};
}

// Prints msg, makes `calls` xen_version calls, then SCHEDOP_shutdown(poweroff).
TinyGuest hello_guest(const std::string& msg, std::uint32_t calls) {
    TinyGuest g;
    // mov $calls, %ebx; loop: xen_version(0, 0); dec %ebx; jnz loop
    g.code({0xbb}).imm32(calls);
    const std::size_t loop = g.size();
    g.code({0x31, 0xff, 0x31, 0xf6}); // xor %edi,%edi; xor %esi,%esi
    g.hypercall(kXenVersion);
    g.code({0xff, 0xcb, 0x75}); // dec %ebx; jnz loop
    g.code({static_cast<std::uint8_t>(loop - (g.size() + 1))});
    const std::size_t lea_msg = g.size();
    g.code({0x48, 0x8d, 0x15}).imm32(0); // lea msg(%rip), %rdx (patched below)
    g.code({0xbf}).imm32(CONSOLEIO_write);
    g.code({0xbe}).imm32(static_cast<std::uint32_t>(msg.size()));
    g.hypercall(kConsoleIo);
    const std::size_t lea_reason = g.size();
    g.code({0x48, 0x8d, 0x35}).imm32(0); // lea reason(%rip), %rsi
    g.code({0xbf}).imm32(SCHEDOP_shutdown);
    g.hypercall(kSchedOp);
    g.code({0xeb, 0xfe}); // jmp .
    const std::size_t msg_at = g.size();
    g.text(msg);
    const std::size_t reason_at = g.size();
    g.imm32(SHUTDOWN_poweroff);
    return g.patch_rel32(lea_msg + 3, msg_at).patch_rel32(lea_reason + 3, reason_at);
}

} // namespace

TEST_CASE("a tiny guest boots, calls, prints and shuts down over each transport") {
    enso::test::kvm_or_skip();
    Monitor m;
    for (auto transport : {enso::abi::kTransportTrap, enso::abi::kTransportExitless}) {
        DomainConfig config;
        config.pages = 512;
        config.transport = transport;
        config.kernel = hello_guest("hello from a tiny guest\n", 100).write(temp_path("hello"));
        const auto d = m.start_domain(config);
        const auto stop = wait_stopped(m, d);
        INFO(stop.describe());
        CHECK(stop.kind == StopKind::shutdown);
        CHECK(stop.shutdown_code == SHUTDOWN_poweroff);
        CHECK(m.console(d).find("hello from a tiny guest") != std::string::npos);
        const auto exits = m.exits(d);
        INFO("exits " << exits.exits << ", to user space " << exits.user_exits);
        if (transport == enso::abi::kTransportTrap) {
            CHECK(exits.user_exits >= 102); // 100 calls, console, shutdown
            CHECK(exits.exits >= 102);
        } else {
            CHECK(exits.user_exits < 5); // the poller answered without exits
        }
        m.destroy_domain(d);
        ::unlink(config.kernel.c_str());
    }
}

TEST_CASE("a guest that writes its own page table is stopped with CR2, and the monitor goes on") {
    enso::test::kvm_or_skip();
    Monitor m;
    TinyGuest g;
    g.code({0x48, 0x8b, 0x86}).imm32(offsetof(start_info_t, pt_base)); // mov pt_base(%rsi), %rax
    g.code({0x48, 0xc7, 0x00}).imm32(0);                               // movq $0, (%rax)
    g.code({0xeb, 0xfe});
    DomainConfig config;
    config.pages = 512;
    config.kernel = g.write(temp_path("write-pt"));
    const auto d = m.start_domain(config);
    const auto stop = wait_stopped(m, d);
    INFO(stop.describe());
    CHECK(stop.kind == StopKind::fault);
    REQUIRE(stop.have_regs);
    const auto l4 = m.built(d).l4;
    CHECK(stop.sregs.cr2 == enso::abi::kPhysMapVa + std::uint64_t{l4} * 4096);
    ::unlink(config.kernel.c_str());

    // Another guest runs normally afterwards.
    DomainConfig next;
    next.pages = 512;
    next.kernel = hello_guest("still here\n", 1).write(temp_path("after"));
    const auto d2 = m.start_domain(next);
    CHECK(wait_stopped(m, d2).kind == StopKind::shutdown);
    ::unlink(next.kernel.c_str());
}

TEST_CASE("a guest that reads memory it was never given is stopped") {
    enso::test::kvm_or_skip();
    Monitor m;
    TinyGuest g;
    g.code({0x48, 0xb8}); // movabs $kScratchVa, %rax
    for (int i = 0; i < 8; ++i) {
        g.code({static_cast<std::uint8_t>(enso::abi::kScratchVa >> (8 * i))});
    }
    g.code({0x48, 0x8b, 0x00}); // mov (%rax), %rax
    g.code({0xeb, 0xfe});
    DomainConfig config;
    config.pages = 512;
    config.kernel = g.write(temp_path("read-unmapped"));
    const auto d = m.start_domain(config);
    const auto stop = wait_stopped(m, d);
    INFO(stop.describe());
    CHECK(stop.kind == StopKind::fault);
    CHECK(stop.sregs.cr2 == enso::abi::kScratchVa);
    ::unlink(config.kernel.c_str());
}

TEST_CASE("a guest that spins past its deadline is stopped with its registers") {
    enso::test::kvm_or_skip();
    Monitor m;
    TinyGuest g;
    g.code({0xeb, 0xfe}); // jmp .
    DomainConfig config;
    config.pages = 512;
    config.kernel = g.write(temp_path("spin"));
    const auto d = m.start_domain(config);
    const auto out = m.command(d, enso::abi::kCmdPing, {1}, std::chrono::milliseconds(300));
    CHECK_FALSE(out.completed);
    REQUIRE(out.stop.has_value());
    INFO(out.stop->describe());
    CHECK(out.stop->kind == StopKind::deadline);
    CHECK(out.stop->have_regs);
    CHECK(out.stop->regs.rip == enso::abi::kKernelBaseVa);
    ::unlink(config.kernel.c_str());
}
