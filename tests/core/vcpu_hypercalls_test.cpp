// The vCPU-side hypercalls (set_trap_table, callback_op, stack_switch,
// set_gdt, iret) as the dispatcher decodes them for the platform, and the
// other calls Xen PV kernels such as XTF's make: MMUEXT_NEW_USER_BASEPTR,
// _PAGE_USER on guest-written entries, EVTCHNOP_init_control's argument
// checks, and the version sub-ops.
#include "test_guest.hpp"
#include "test_machine.hpp"

#include <xen/physdev.h>
#include <xen/vcpu.h>

#include <cstring>
#include <vector>

namespace enso::test {
namespace {

// Records what the dispatcher hands the platform.
struct RecordingPlatform final : VcpuPlatform {
    bool callbacks = true;
    std::vector<callback_register> registered;
    std::vector<trap_info> traps;
    bool cleared = false;
    std::uint64_t ss = 0;
    std::uint64_t sp = 0;
    std::vector<std::uint64_t> gdt;
    std::uint32_t gdt_entries = 0;
    int irets = 0;
    int iopl = -1;
    bool architectural_iopl = false;

    [[nodiscard]] bool accepts_callbacks(std::uint16_t /*d*/) const override { return callbacks; }
    long register_callback(std::uint16_t /*d*/, const callback_register& cb) override {
        registered.push_back(cb);
        return 0;
    }
    long set_trap_table(std::uint16_t /*d*/, std::span<const trap_info> entries,
                        bool clear) override {
        traps.assign(entries.begin(), entries.end());
        cleared = clear;
        return 0;
    }
    long stack_switch(std::uint16_t /*d*/, std::uint64_t s, std::uint64_t p) override {
        ss = s;
        sp = p;
        return 0;
    }
    long set_gdt(std::uint16_t /*d*/, std::span<const std::uint64_t> frames,
                 std::uint32_t entries) override {
        gdt.assign(frames.begin(), frames.end());
        gdt_entries = entries;
        return 0;
    }
    long iret(std::uint16_t /*d*/) override {
        ++irets;
        return 42;
    }
    long set_iopl(std::uint16_t /*d*/, unsigned level) override {
        iopl = static_cast<int>(level);
        return 0;
    }
    long set_architectural_iopl(std::uint16_t /*d*/, bool on) override {
        architectural_iopl = on;
        return 0;
    }
    std::vector<std::uint64_t> roots = {0, 0}; // vCPU 0 (unused) and vCPU 1
    [[nodiscard]] unsigned vcpu_count(std::uint16_t /*d*/) const override {
        return static_cast<unsigned>(roots.size());
    }
    [[nodiscard]] std::uint64_t vcpu_root(std::uint16_t /*d*/, unsigned vcpu) const override {
        return roots.at(vcpu);
    }
    void set_vcpu_root(std::uint16_t /*d*/, unsigned vcpu, std::uint64_t frame) override {
        roots.at(vcpu) = frame;
    }
};

} // namespace

TEST_CASE("vcpu hypercalls: without a platform they are -ENOSYS", "[dispatcher]") {
    TestMachine m;
    Guest g(m, 1);
    for (const auto nr : {__HYPERVISOR_set_trap_table, __HYPERVISOR_stack_switch,
                          __HYPERVISOR_set_gdt, __HYPERVISOR_iret, __HYPERVISOR_callback_op}) {
        INFO("hypercall " << nr);
        CHECK(g.call(nr, g.at(0), 1) == kENOSYS);
    }
}

TEST_CASE("vcpu hypercalls: set_trap_table reads up to the sentinel; NULL clears", "[dispatcher]") {
    TestMachine m;
    RecordingPlatform p;
    m.dispatch().set_platform(&p);
    Guest g(m, 1);
    const trap_info table[3] = {{6, 4, 0xe030, 0x101000}, {14, 0, 0xe030, 0x102000}, {}};
    g.put(0, table);
    REQUIRE(g.call(__HYPERVISOR_set_trap_table, g.at(0)) == kOk);
    REQUIRE(p.traps.size() == 2);
    CHECK(p.traps[0].vector == 6);
    CHECK(p.traps[1].address == 0x102000);
    CHECK_FALSE(p.cleared);
    REQUIRE(g.call(__HYPERVISOR_set_trap_table, 0) == kOk);
    CHECK(p.cleared);
    CHECK(g.call(__HYPERVISOR_set_trap_table, 0x7ff0000000ULL) == kEFAULT);
}

TEST_CASE("vcpu hypercalls: callback_op checks type and address before the platform",
          "[dispatcher]") {
    TestMachine m;
    RecordingPlatform p;
    m.dispatch().set_platform(&p);
    Guest g(m, 1);
    callback_register cb{};
    cb.type = CALLBACKTYPE_syscall;
    cb.address = 0x103000;
    g.put(0, cb);
    REQUIRE(g.call(__HYPERVISOR_callback_op, CALLBACKOP_register, g.at(0)) == kOk);
    REQUIRE(p.registered.size() == 1);
    cb.type = CALLBACKTYPE_nmi; // not one of the four Xen PV guests register here
    g.put(0, cb);
    CHECK(g.call(__HYPERVISOR_callback_op, CALLBACKOP_register, g.at(0)) == kEINVAL);
    cb.type = CALLBACKTYPE_event;
    cb.address = 1ULL << 47; // the kernel half
    g.put(0, cb);
    CHECK(g.call(__HYPERVISOR_callback_op, CALLBACKOP_register, g.at(0)) == kEINVAL);
    CHECK(p.registered.size() == 1);
    p.callbacks = false; // a vCPU that polls: refused before the argument is read
    CHECK(g.call(__HYPERVISOR_callback_op, CALLBACKOP_register, 0) == kENOSYS);
}

TEST_CASE("vcpu hypercalls: set_gdt takes only the caller's frames; stack_switch and iret pass "
          "through",
          "[dispatcher]") {
    TestMachine m;
    RecordingPlatform p;
    m.dispatch().set_platform(&p);
    Guest g(m, 1);
    m.make_domain(2);
    const std::uint64_t own = m.frame(1);
    const std::uint64_t other = m.frame(2);
    g.put(0, own);
    REQUIRE(g.call(__HYPERVISOR_set_gdt, g.at(0), 16) == kOk);
    CHECK(p.gdt == std::vector<std::uint64_t>{own});
    CHECK(p.gdt_entries == 16);
    g.put(0, other);
    CHECK(g.call(__HYPERVISOR_set_gdt, g.at(0), 16) == kEINVAL);
    CHECK(g.call(__HYPERVISOR_set_gdt, g.at(0), 14 * 512 + 1) == kEINVAL);
    REQUIRE(g.call(__HYPERVISOR_stack_switch, 0xe02b, 0x123000) == kOk);
    CHECK(p.sp == 0x123000);
    CHECK(g.call(__HYPERVISOR_iret) == 42);
    CHECK(p.irets == 1);
}

TEST_CASE("vcpu hypercalls: PHYSDEVOP_set_iopl and the architectural-IOPL assist, with Xen's "
          "argument checks",
          "[dispatcher]") {
    TestMachine m;
    RecordingPlatform p;
    m.dispatch().set_platform(&p);
    Guest g(m, 1);
    g.put(0, physdev_set_iopl{1});
    CHECK(g.call(__HYPERVISOR_physdev_op, PHYSDEVOP_set_iopl, g.at(0)) == kOk);
    CHECK(p.iopl == 1);
    g.put(0, physdev_set_iopl{4});
    CHECK(g.call(__HYPERVISOR_physdev_op, PHYSDEVOP_set_iopl, g.at(0)) == kEINVAL);
    CHECK(p.iopl == 1);
    CHECK(g.call(__HYPERVISOR_physdev_op, PHYSDEVOP_set_iopl, 0) == kEFAULT);
    CHECK(g.call(__HYPERVISOR_physdev_op, PHYSDEVOP_eoi, g.at(0)) == kENOSYS);
    CHECK(g.call(__HYPERVISOR_vm_assist, VMASST_CMD_enable, VMASST_TYPE_architectural_iopl) == kOk);
    CHECK(p.architectural_iopl);
    CHECK(g.call(__HYPERVISOR_vm_assist, VMASST_CMD_disable, VMASST_TYPE_architectural_iopl) ==
          kOk);
    CHECK_FALSE(p.architectural_iopl);
    CHECK(g.call(__HYPERVISOR_vm_assist, VMASST_CMD_enable, VMASST_TYPE_writable_pagetables) ==
          kEINVAL);
    CHECK(g.call(__HYPERVISOR_vm_assist, 7, VMASST_TYPE_architectural_iopl) == kENOSYS);
}

TEST_CASE("vcpu hypercalls: an iret ends a multicall, whose result is the iret's (XSA-213)",
          "[dispatcher]") {
    TestMachine m;
    RecordingPlatform p;
    m.dispatch().set_platform(&p);
    Guest g(m, 1);
    multicall_entry_t calls[2] = {};
    calls[0].op = __HYPERVISOR_iret;
    calls[1].op = __HYPERVISOR_xen_version;
    calls[1].args[0] = XENVER_version;
    g.put(0, calls);
    CHECK(g.call(__HYPERVISOR_multicall, g.at(0), 2) == 42);
    CHECK(p.irets == 1);
    std::memcpy(calls, m.core().state().mem.frame(g.args), sizeof calls);
    CHECK(calls[0].result == 42);
    CHECK(calls[1].result == 0); // never run in the context the iret left
}

TEST_CASE("vcpu hypercalls: a guest-written present entry gets _PAGE_USER, as Xen gives PV64",
          "[dispatcher]") {
    TestMachine m;
    Guest g(m, 1);
    const auto l1 = m.frame(1);
    const auto data = m.frame(1);
    REQUIRE(m.core().pin_table(1, l1, kTypeL1) == kOk);
    const mmu_update_t req{TestMachine::maddr(l1, 3), TestMachine::pte(data, kPteP | kPteRW)};
    g.put(0, req);
    REQUIRE(g.call(__HYPERVISOR_mmu_update, g.at(0), 1, 0, DOMID_SELF) == kOk);
    CHECK(m.read_word(l1, 3) == (req.val | kPteUS));
    REQUIRE_INVARIANTS(m.core());
}

TEST_CASE("vcpu hypercalls: MMUEXT_NEW_USER_BASEPTR takes the kernel's root or none",
          "[dispatcher]") {
    TestMachine m;
    Guest g(m, 1);
    // The argument frame becomes the page at virtual 0 once the guest runs
    // on its own tables; the op sits 64 bytes in.
    const auto as = m.build_address_space(1, g.args);
    constexpr std::uint64_t kOpVa = 64;
    mmuext_op op{};
    op.cmd = MMUEXT_NEW_USER_BASEPTR;
    op.arg1.mfn = as.l4;
    g.put(kOpVa, op);
    CHECK(g.call(__HYPERVISOR_mmuext_op, kOpVa, 1, 0, DOMID_SELF) == kOk);
    op.arg1.mfn = 0;
    g.put(kOpVa, op);
    CHECK(g.call(__HYPERVISOR_mmuext_op, kOpVa, 1, 0, DOMID_SELF) == kOk);
    op.arg1.mfn = as.l3; // a separate user root is not modelled
    g.put(kOpVa, op);
    CHECK(g.call(__HYPERVISOR_mmuext_op, kOpVa, 1, 0, DOMID_SELF) == kENOSYS);
}

TEST_CASE("vcpu hypercalls: EVTCHNOP_init_control is checked as Xen checks it, then refused",
          "[dispatcher]") {
    TestMachine m;
    Guest g(m, 1);
    evtchn_init_control_t init{};
    init.control_gfn = m.frame(1);
    g.put(0, init);
    CHECK(g.call(__HYPERVISOR_event_channel_op, EVTCHNOP_init_control, g.at(0)) == kENOSYS);
    init.offset = 4; // misaligned
    g.put(0, init);
    CHECK(g.call(__HYPERVISOR_event_channel_op, EVTCHNOP_init_control, g.at(0)) == kEINVAL);
    init.offset = 0;
    init.vcpu = 1;
    g.put(0, init);
    CHECK(g.call(__HYPERVISOR_event_channel_op, EVTCHNOP_init_control, g.at(0)) == kENOENT);
    init.vcpu = 0;
    init.control_gfn = ~0ULL - 1; // XSA-188's bad frame
    g.put(0, init);
    CHECK(g.call(__HYPERVISOR_event_channel_op, EVTCHNOP_init_control, g.at(0)) == kEINVAL);
}

TEST_CASE("vcpu hypercalls: the version sub-ops XTF reads are NUL-terminated strings",
          "[dispatcher]") {
    TestMachine m;
    Guest g(m, 1);
    REQUIRE(g.call(__HYPERVISOR_xen_version, XENVER_compile_info, g.at(0)) == kOk);
    const auto info = g.get<xen_compile_info_t>(0);
    CHECK(std::memchr(info.compiler, 0, sizeof info.compiler) != nullptr);
    CHECK(std::string(info.compile_by) == "enso");
    REQUIRE(g.call(__HYPERVISOR_xen_version, XENVER_changeset, g.at(0)) == kOk);
    char changeset[sizeof(xen_changeset_info_t)] = {};
    std::memcpy(changeset, m.core().state().mem.frame(g.args), sizeof changeset);
    CHECK(std::string(changeset) == "enso");
    REQUIRE(g.call(__HYPERVISOR_xen_version, XENVER_platform_parameters, g.at(0)) == kOk);
    CHECK(g.get<xen_platform_parameters_t>(0).virt_start == HYPERVISOR_VIRT_START);
}

TEST_CASE("vcpu hypercalls: VCPUOP_initialise holds a second vCPU's root as a validated L4 "
          "until destroy",
          "[dispatcher]") {
    TestMachine m;
    Guest g(m, 1);
    // Without a platform the domain has vCPU 0 only, initialised already.
    CHECK(g.call(__HYPERVISOR_vcpu_op, VCPUOP_initialise, 1, g.at(0)) == kENOENT);
    CHECK(g.call(__HYPERVISOR_vcpu_op, VCPUOP_initialise, 0, g.at(0)) == kEEXIST);
    CHECK(g.call(__HYPERVISOR_vcpu_op, VCPUOP_is_up, 0) == 1);

    RecordingPlatform p;
    m.dispatch().set_platform(&p);
    // XSA-296's tables: t2 (the root) maps t1 in its slot 3; neither is a
    // page table yet, so the root's validation takes t1 as an L3.
    const auto t1 = m.frame(1);
    const auto t2 = m.frame(1);
    m.core().state().mem.store64(t2, 3, TestMachine::pte(t1, kPteP | kPteUS));
    vcpu_guest_context_t ctx{};
    ctx.flags = VGCF_in_kernel;
    ctx.ctrlreg[3] = xen_pfn_to_cr3(t2);
    g.put(0, ctx);
    CHECK(g.call(__HYPERVISOR_vcpu_op, VCPUOP_initialise, 2, g.at(0)) == kENOENT);
    CHECK(g.call(__HYPERVISOR_vcpu_op, VCPUOP_is_up, 1) == 0);
    REQUIRE(g.call(__HYPERVISOR_vcpu_op, VCPUOP_initialise, 1, g.at(0)) == kOk);
    REQUIRE_INVARIANTS(m.core());
    CHECK(p.roots[1] == t2);
    const auto& fr = m.core().state().frames;
    CHECK(fr.type.get(t2) == kTypeL4);
    CHECK(fr.type_count.get(t2) == 1);
    CHECK(frame_has<Concrete>(m.core().state(), t2, kFrameVcpuRoot));
    CHECK(frame_has<Concrete>(m.core().state(), t2, kFrameValidated));
    CHECK(fr.type.get(t1) == kTypeL3);
    CHECK(g.call(__HYPERVISOR_vcpu_op, VCPUOP_initialise, 1, g.at(0)) == kEEXIST);
    // The root can be neither unpinned nor given back by the guest.
    CHECK(m.core().unpin_table(1, t2) == kEINVAL);
    CHECK(m.core().release_frame(1, t2) == kEBUSY);
    CHECK(g.call(__HYPERVISOR_vcpu_op, VCPUOP_up, 1) == kENOSYS);

    // A root that does not validate as an L4 (it maps itself as an L3) is -EINVAL.
    const auto bad = m.frame(1);
    m.core().state().mem.store64(bad, 0, TestMachine::pte(bad, kPteP | kPteUS));
    p.roots[1] = 0;
    ctx.ctrlreg[3] = xen_pfn_to_cr3(bad);
    g.put(0, ctx);
    CHECK(g.call(__HYPERVISOR_vcpu_op, VCPUOP_initialise, 1, g.at(0)) == kEINVAL);
    CHECK(!frame_has<Concrete>(m.core().state(), bad, kFrameVcpuRoot));
    REQUIRE_INVARIANTS(m.core());

    REQUIRE(m.core().destroy_domain(1) == kOk);
    REQUIRE_INVARIANTS(m.core());
    CHECK(m.core().state().doms.state.get(1) == kDomFree);
    CHECK(fr.count.get(t2) == 0);
    CHECK(fr.count.get(t1) == 0);
}

} // namespace enso::test
