#include "hvcore/kvm/guest_vm.hpp"

#include "hvcore/kvm/kvm_error.hpp"

#include <linux/kvm.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <string>

namespace enso::kvm {

namespace {

constexpr std::uint32_t kFlushSlotId = 0;
constexpr std::uint64_t kTwoMiB = 2ULL << 20;

} // namespace

GuestVm::GuestVm(int kvm_fd, const MachineMemory& memory)
    : kvm_fd_(kvm_fd), memory_(memory), slot_of_frame_(memory.nr_frames(), 0) {
    fd_.reset(::ioctl(kvm_fd, KVM_CREATE_VM, 0));
    if (!fd_.valid()) {
        throw_errno("KVM_CREATE_VM");
    }
    slots_.resize(1); // id 0 is the flush slot
    flush_page_ = ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (flush_page_ == MAP_FAILED) {
        flush_page_ = nullptr;
        throw_errno("mmap of the flush page");
    }
    // Past machine memory, 2 MiB aligned, below the 36-bit physical limit.
    flush_gpa_ = (std::uint64_t{memory.nr_frames()} * 4096 + 2 * kTwoMiB) & ~(kTwoMiB - 1);
}

GuestVm::~GuestVm() {
    if (flush_page_ != nullptr) {
        ::munmap(flush_page_, 4096);
    }
}

void GuestVm::set_slot(std::uint32_t id, std::uint64_t gpa, std::uint64_t size, std::uint64_t host,
                       bool readonly) {
    kvm_userspace_memory_region region{};
    region.slot = id;
    region.flags = readonly ? KVM_MEM_READONLY : 0;
    region.guest_phys_addr = gpa;
    region.memory_size = size;
    region.userspace_addr = host;
    if (::ioctl(fd_.get(), KVM_SET_USER_MEMORY_REGION, &region) != 0) {
        throw_errno("KVM_SET_USER_MEMORY_REGION slot " + std::to_string(id) + " gpa " +
                    std::to_string(gpa) + " size " + std::to_string(size));
    }
    ++slot_changes_;
}

std::uint32_t GuestVm::take_slot_id() {
    if (!free_ids_.empty()) {
        const auto id = free_ids_.back();
        free_ids_.pop_back();
        return id;
    }
    slots_.emplace_back();
    return static_cast<std::uint32_t>(slots_.size() - 1);
}

bool GuestVm::sync_memslots(const std::vector<FrameAccess>& access) {
    bool removed = false;
    for (std::uint32_t id = 1; id < slots_.size(); ++id) {
        auto& slot = slots_[id];
        if (!slot.live) {
            continue;
        }
        const auto want = slot.range.readonly ? FrameAccess::read : FrameAccess::write;
        bool keep = true;
        for (std::uint32_t i = 0; i < slot.range.nr_frames && keep; ++i) {
            keep = access[slot.range.first_frame + i] == want;
        }
        if (keep) {
            continue;
        }
        set_slot(id, std::uint64_t{slot.range.first_frame} * 4096, 0, 0, false);
        for (std::uint32_t i = 0; i < slot.range.nr_frames; ++i) {
            slot_of_frame_[slot.range.first_frame + i] = 0;
        }
        slot.live = false;
        free_ids_.push_back(id);
        removed = true;
    }
    // Frames allowed but not covered: new slots over their runs.
    std::vector<FrameAccess> uncovered(access.size(), FrameAccess::none);
    for (std::size_t f = 0; f < access.size(); ++f) {
        if (slot_of_frame_[f] == 0) {
            uncovered[f] = access[f];
        }
    }
    for (const auto& run : access_runs(uncovered)) {
        const auto id = take_slot_id();
        const std::uint64_t gpa = std::uint64_t{run.first_frame} * 4096;
        set_slot(id, gpa, std::uint64_t{run.nr_frames} * 4096, memory_.host_address(gpa),
                 run.readonly);
        slots_[id] = {run, true};
        for (std::uint32_t i = 0; i < run.nr_frames; ++i) {
            slot_of_frame_[run.first_frame + i] = id;
        }
    }
    return removed;
}

void GuestVm::flush_translations() {
    set_slot(kFlushSlotId, flush_gpa_, 4096, reinterpret_cast<std::uint64_t>(flush_page_), false);
    set_slot(kFlushSlotId, flush_gpa_, 0, 0, false);
    ++flushes_;
}

UniqueFd GuestVm::add_ioeventfd(std::uint16_t port) {
    UniqueFd efd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!efd.valid()) {
        throw_errno("eventfd");
    }
    kvm_ioeventfd io{};
    io.addr = port;
    io.len = 4;
    io.fd = efd.get();
    io.flags = KVM_IOEVENTFD_FLAG_PIO;
    if (::ioctl(fd_.get(), KVM_IOEVENTFD, &io) != 0) {
        throw_errno("KVM_IOEVENTFD port " + std::to_string(port));
    }
    return efd;
}

std::size_t GuestVm::nr_memslots() const {
    std::size_t n = 0;
    for (std::uint32_t id = 1; id < slots_.size(); ++id) {
        n += slots_[id].live ? 1 : 0;
    }
    return n;
}

} // namespace enso::kvm
