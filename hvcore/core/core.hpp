// The concrete core: the state over real machine memory, plus the drivers the
// handler templates leave out on purpose - choosing free frames, ports and
// handles, looping over batches, and whole-table work in per-entry steps.
// Not thread-safe: the platform serializes calls (one lock).
#pragma once

#include "hvcore/core/concrete_domain.hpp"
#include "hvcore/core/event_channel_ops.hpp"
#include "hvcore/core/grant_ops.hpp"
#include "hvcore/core/state.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

namespace enso::core {

using CState = State<Concrete>;

class Core {
public:
    // machine_memory: the whole of machine memory, frame N at byte N * 4096.
    explicit Core(std::span<std::byte> machine_memory);

    [[nodiscard]] const CState& state() const { return s_; }
    CState& state() { return s_; }
    [[nodiscard]] std::uint32_t nr_frames() const { return s_.nr_frames; }
    [[nodiscard]] std::uint32_t free_frames() const;

    // Domains. Domain 0 is the monitor's back-end domain; create it first.
    Rc create_domain(std::uint16_t d, std::uint32_t max_pages);
    Rc destroy_domain(std::uint16_t d);
    [[nodiscard]] bool domain_exists(std::uint16_t d) const;
    // A free domain id for a new guest (0 if none): the next one after the
    // last created, as Xen's toolstack does, and not one a live domain's
    // port still names when another is free. A dead guest's peers keep their
    // ports unbound and offered to its id (as on Xen); reusing the id at
    // once would hand those channels to an unrelated guest. `taken` marks
    // ids the platform holds for itself.
    [[nodiscard]] std::uint16_t
    pick_free_domid(const std::function<bool(std::uint16_t)>& taken = {}) const;
    // Whether a live domain's port is offered to or bound to d.
    [[nodiscard]] bool domid_named_by_ports(std::uint16_t d) const;

    // Frames: one extent of increase_reservation (the frame chosen here).
    Rc reserve_frame(std::uint16_t d, std::uint32_t& frame);
    Rc release_frame(std::uint16_t d, std::uint32_t frame);
    // A frame of d's the platform keeps descriptor tables in (GDT, IDT,
    // TSS, exception stubs): d may map it read-only only, from now on.
    Rc hold_descriptor_frame(std::uint16_t d, std::uint32_t frame);

    // PV MMU, one request or command at a time (batches: dispatcher).
    Rc mmu_update(std::uint16_t d, std::uint64_t ptr, std::uint64_t val);
    Rc pin_table(std::uint16_t d, std::uint32_t frame, std::uint8_t level);
    Rc unpin_table(std::uint16_t d, std::uint32_t frame);
    Rc new_baseptr(std::uint16_t d, std::uint32_t frame);
    Rc update_va_mapping(std::uint16_t d, std::uint64_t va, std::uint64_t val, std::uint64_t flags);
    Rc update_descriptor(std::uint16_t d, std::uint64_t maddr, std::uint64_t desc);
    // VCPUOP_initialise's root for a vCPU that does not run yet.
    Rc hold_vcpu_root(std::uint16_t d, std::uint32_t frame);

    // Grant tables.
    Rc grant_setup_table(std::uint16_t d, std::uint32_t nr_frames,
                         std::vector<std::uint32_t>& frames_out);
    // GNTTABOP_set_version; Xen's refusal of a change while a grant is in use.
    Rc grant_set_version(std::uint16_t d, std::uint32_t version);
    [[nodiscard]] std::uint32_t grant_version(std::uint16_t d) const;
    // Grant table v2's status frame, kNoFrame at version 1.
    [[nodiscard]] std::uint32_t grant_status_frame(std::uint16_t d) const;
    Rc grant_map(std::uint16_t d, std::uint16_t granter, std::uint32_t ref, std::uint32_t flags,
                 std::uint64_t host_addr, std::uint32_t& handle, std::uint64_t& dev_bus_addr);
    Rc grant_unmap(std::uint16_t d, std::uint32_t handle, std::uint64_t host_addr,
                   std::uint64_t dev_bus_addr = 0);
    Rc grant_unmap_and_replace(std::uint16_t d, std::uint32_t handle, std::uint64_t host_addr,
                               std::uint64_t new_addr);
    Rc grant_copy(std::uint16_t d, const CopySide<Concrete>& src, const CopySide<Concrete>& dst,
                  std::uint32_t len);
    // The granter's side of the v1 protocol, as a guest writes it: fill an entry.
    void grant_write_entry(std::uint16_t granter, std::uint32_t ref, std::uint16_t flags,
                           std::uint16_t grantee, std::uint32_t frame);
    // ... and end access: refused (false) while the entry is mapped.
    bool grant_end_access(std::uint16_t granter, std::uint32_t ref);

    // Event channels.
    Rc evtchn_alloc_unbound(std::uint16_t caller, std::uint16_t dom, std::uint16_t remote,
                            std::uint32_t& port);
    Rc evtchn_bind_interdomain(std::uint16_t d, std::uint16_t remote, std::uint32_t remote_port,
                               std::uint32_t& local_port);
    Rc evtchn_send(std::uint16_t d, std::uint32_t port);
    Rc evtchn_close(std::uint16_t d, std::uint32_t port);
    Rc evtchn_unmask(std::uint16_t d, std::uint32_t port);
    [[nodiscard]] bool evtchn_pending(std::uint16_t d, std::uint32_t port) const;

    // Console output a domain wrote (CONSOLEIO_write), kept to a bound.
    void console_append(std::uint16_t d, std::string_view text);
    [[nodiscard]] const std::string& console(std::uint16_t d) const { return console_[d]; }

    // Effects handlers left for the platform; reading clears them.
    std::uint8_t take_effects(std::uint16_t d);

    // What the platform asks of a domain: its id still free, why it shut
    // down, the root table it runs on (kNoFrame before it has one), whether
    // it still owns a frame the platform placed in it.
    [[nodiscard]] bool domid_free(std::uint16_t d) const;
    [[nodiscard]] int shutdown_code(std::uint16_t d) const;
    [[nodiscard]] std::uint32_t root_table(std::uint16_t d) const;
    [[nodiscard]] bool owns_frame(std::uint16_t d, std::uint32_t frame) const;
    // Takes d's pending event bits, as its kernel's upcall handler would
    // (domain 0 has no kernel: the monitor is it), and calls each(port) per
    // pending port.
    void take_pending_ports(std::uint16_t d, const std::function<void(std::uint32_t)>& each);
    // Guest memory by virtual address, with the guest's own rights (as a
    // hypercall's arguments are read): for the platform's exception frames.
    Rc guest_read(std::uint16_t d, std::uint64_t va, std::span<std::byte> out) const;
    Rc guest_write(std::uint16_t d, std::uint64_t va, std::span<const std::byte> in) const;

    // Whole-table work, in per-entry steps (public for tests and benchmarks).
    Rc validate_table(std::uint32_t frame, std::uint8_t level);
    void devalidate_table(std::uint32_t frame);

private:
    // Runs a handler, doing the table work it asks for and retrying.
    template <class Handler>
    Rc with_table_work(Handler&& handler);
    std::uint32_t pick_free_frame();
    [[nodiscard]] std::uint32_t pick_free_handle(std::uint16_t d) const;
    [[nodiscard]] std::uint32_t pick_free_port(std::uint16_t d) const;

    CState s_;
    std::uint32_t alloc_cursor_ = 1;
    std::uint16_t last_domid_ = 0;
    std::vector<std::string> console_;
};

inline constexpr std::size_t kConsoleKeep = 64 * 1024;

} // namespace enso::core
