// Machine memory: one memfd, frame N at byte N * 4096, mapped whole into the
// monitor. Guest VMs map slices of the same mapping as their memory slots.
#pragma once

#include "hvcore/kvm/unique_fd.hpp"

#include <cstddef>
#include <cstdint>
#include <span>

namespace enso::kvm {

class MachineMemory {
public:
    explicit MachineMemory(std::uint32_t nr_frames);
    MachineMemory(const MachineMemory&) = delete;
    MachineMemory& operator=(const MachineMemory&) = delete;
    ~MachineMemory();

    [[nodiscard]] std::uint32_t nr_frames() const { return nr_frames_; }
    [[nodiscard]] std::span<std::byte> bytes() const { return {base_, size_}; }
    [[nodiscard]] std::byte* frame(std::uint32_t f) const { return base_ + std::size_t{f} * 4096; }
    [[nodiscard]] std::uint64_t host_address(std::uint64_t maddr) const {
        return reinterpret_cast<std::uint64_t>(base_) + maddr;
    }

private:
    UniqueFd fd_;
    std::uint32_t nr_frames_;
    std::size_t size_;
    std::byte* base_ = nullptr;
};

} // namespace enso::kvm
