// One KVM VM: its memory slots, kept equal to what the core allows the
// domain (memslot_plan), and the ioeventfds its guest kicks.
#pragma once

#include "hvcore/kvm/machine_memory.hpp"
#include "hvcore/kvm/memslot_plan.hpp"
#include "hvcore/kvm/unique_fd.hpp"

#include <cstdint>
#include <vector>

namespace enso::kvm {

class GuestVm {
public:
    GuestVm(int kvm_fd, const MachineMemory& memory);
    GuestVm(const GuestVm&) = delete;
    GuestVm& operator=(const GuestVm&) = delete;
    ~GuestVm();

    [[nodiscard]] int fd() const { return fd_.get(); }
    [[nodiscard]] int kvm_fd() const { return kvm_fd_; }

    // Brings the slots in line with access, touching only slots whose frames
    // changed: a slot is removed only when one of its frames lost or changed
    // access, and the frames it still allows are re-added in new slots. The
    // caller makes sure no vCPU of this VM runs meanwhile (a running vCPU
    // could touch the gap). Returns true when a slot was removed: KVM then
    // dropped every cached translation of the VM.
    bool sync_memslots(const std::vector<FrameAccess>& access);

    // Drops every translation the VM's vCPUs cached (TLB and, under PVM,
    // shadow page tables). KVM offers no direct call: a slot removal does it,
    // so this adds and removes a one-page slot outside machine memory.
    void flush_translations();

    // An eventfd signalled, inside the kernel, by a guest write to port.
    UniqueFd add_ioeventfd(std::uint16_t port);

    [[nodiscard]] std::size_t nr_memslots() const;
    [[nodiscard]] std::uint64_t flushes() const { return flushes_; }
    [[nodiscard]] std::uint64_t slot_changes() const { return slot_changes_; }

private:
    void set_slot(std::uint32_t id, std::uint64_t gpa, std::uint64_t size, std::uint64_t host,
                  bool readonly);
    std::uint32_t take_slot_id();

    int kvm_fd_;
    UniqueFd fd_;
    const MachineMemory& memory_;
    // The slot covering each frame (0: none; ids start at 1).
    std::vector<std::uint32_t> slot_of_frame_;
    struct Slot {
        SlotRange range;
        bool live = false;
    };
    std::vector<Slot> slots_; // indexed by slot id
    std::vector<std::uint32_t> free_ids_;
    void* flush_page_ = nullptr;
    std::uint64_t flush_gpa_ = 0;
    std::uint64_t flushes_ = 0;
    std::uint64_t slot_changes_ = 0;
};

} // namespace enso::kvm
