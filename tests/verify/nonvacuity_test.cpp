// Non-vacuity of the proofs' pre-state: every symbolic invariant, the
// auxiliary ones included, holds on the state the KVM monitor's domain
// builder produces for a guest and on states a concrete run of hypercalls
// reaches from it (evaluated by z3 on the state as constants,
// verify/concrete_state_check.hpp). That every handler's assumptions are
// satisfiable on a successful path is checked by each proof itself
// (verify/vacuity_check.hpp) and shown in `enso verify`.
#include "../kvm/tiny_guest.hpp"
#include "hvcore/core/core.hpp"
#include "hvcore/core/invariants.hpp"
#include "hvcore/kvm/domain_builder.hpp"
#include "hvcore/kvm/machine_memory.hpp"
#include "verify/concrete_state_check.hpp"
#include "verify/handler_catalog.hpp"
#include "verify/handler_proof.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <unistd.h>

namespace enso::verify {

namespace {

void check_all(const core::Core& core, const std::string& when) {
    const auto concrete = core::check_invariants(core.state());
    INFO(when << ": " << core::describe(concrete));
    CHECK(concrete.empty());
    const auto symbolic = check_symbolic_invariants(core.state());
    CHECK(symbolic.size() == state_invariants().size());
    for (const auto& r : symbolic) {
        INFO(when << ": " << r.invariant << " " << r.detail);
        CHECK(r.holds);
    }
}

} // namespace

TEST_CASE("nonvacuity: every symbolic invariant holds on the builder's state and after hypercalls",
          "[sanity]") {
    const std::string elf = "/tmp/enso-verify-nonvacuity-" + std::to_string(::getpid()) + ".elf";
    test::TinyGuest guest;
    guest.imm32(0xf4f4f4f4U); // hlt: never run here
    guest.write(elf);
    kvm::MachineMemory memory(2048);
    core::Core core(memory.bytes());
    REQUIRE(core.create_domain(0, 64) == core::kOk);
    kvm::BuildConfig config;
    config.nr_pages = 512;
    const auto built = kvm::build_domain(core, memory, kvm::load_elf(elf), config);
    std::filesystem::remove(elf);
    REQUIRE(built.l4 != 0);
    const std::uint16_t d = config.domid;
    check_all(core, "the builder's state");

    // Domain d grants a fresh frame to domain 0, which maps and copies it;
    // an event channel is offered, bound, signalled; a fresh frame is
    // pinned as a table and unpinned, written as memory and released.
    std::uint32_t f = 0;
    std::uint32_t g = 0;
    std::uint32_t t = 0;
    REQUIRE(core.reserve_frame(d, f) == core::kOk);
    REQUIRE(core.reserve_frame(d, t) == core::kOk);
    REQUIRE(core.reserve_frame(0, g) == core::kOk);
    std::vector<std::uint32_t> gframes;
    REQUIRE(core.grant_setup_table(d, 1, gframes) == core::kOk);
    core.grant_write_entry(d, 3, GTF_permit_access, 0, f);
    std::uint32_t handle = 0;
    std::uint64_t bus = 0;
    REQUIRE(core.grant_map(0, d, 3, GNTMAP_device_map, 0, handle, bus) == GNTST_okay);
    const core::CopySide<core::Concrete> src{true, 3, d, 0};
    const core::CopySide<core::Concrete> dst{false, g, DOMID_SELF, 64};
    REQUIRE(core.grant_copy(0, src, dst, 128) == GNTST_okay);
    std::uint32_t port = 0;
    std::uint32_t local = 0;
    REQUIRE(core.evtchn_alloc_unbound(d, DOMID_SELF, 0, port) == core::kOk);
    REQUIRE(core.evtchn_bind_interdomain(0, d, port, local) == core::kOk);
    REQUIRE(core.evtchn_send(0, local) == core::kOk);
    REQUIRE(core.pin_table(d, t, core::kTypeL1) == core::kOk);
    check_all(core, "with a grant mapped, a channel bound and a table pinned");

    REQUIRE(core.grant_unmap(0, handle, 0) == GNTST_okay);
    REQUIRE(core.evtchn_close(d, port) == core::kOk);
    REQUIRE(core.unpin_table(d, t) == core::kOk);
    REQUIRE(core.mmu_update(d, std::uint64_t{t} << core::kPageShift, 0x1234) == core::kOk);
    REQUIRE(core.release_frame(d, t) == core::kOk);
    check_all(core, "after unmap, close, unpin, a write and a release");
}

TEST_CASE("nonvacuity: a handler's obligations are satisfiable on a successful path", "[sanity]") {
    const HandlerSpec* h = find_handler("evtchn_close");
    REQUIRE(h != nullptr);
    const ProofResult r = prove_handler(*h);
    CHECK(r.proved());
    CHECK(r.vacuity_queries > 0);
    CHECK_FALSE(r.nonvacuous.empty());
    CHECK(r.vacuous.empty());
}

} // namespace enso::verify
