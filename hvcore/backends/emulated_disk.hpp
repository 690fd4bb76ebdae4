// The emulated disk's device model (hvcore/abi/emulated_disk.hpp): what the
// monitor runs for each register access the guest makes, on the guest's
// vCPU thread. The transfer happens inside the command register's `out`,
// synchronously, with the same engine and file the paravirtual back end
// uses. DMA is only to and from the guest's own plain memory: every listed
// frame is checked against the core's frame table first (never a page table,
// a frame of the core's, or another domain's).
#pragma once

#include "hvcore/abi/emulated_disk.hpp"
#include "hvcore/backends/blkback.hpp"
#include "hvcore/backends/core_access.hpp"
#include "hvcore/backends/disk_image.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

namespace enso::backends {

class EmulatedDisk {
public:
    EmulatedDisk(CoreAccess& access, const DiskImage& disk, std::uint16_t domid, EngineKind engine);

    // One 4-byte register access: `out` of value, or an `in` (its result).
    std::uint32_t access(std::uint16_t port, bool is_out, std::uint32_t value);

    struct Stats {
        std::uint64_t accesses = 0; // register accesses: exits
        std::uint64_t commands = 0;
        std::uint64_t bytes = 0;
        std::uint64_t errors = 0;
    };
    [[nodiscard]] Stats stats() const;

private:
    std::uint32_t run_command(std::uint32_t command);
    // Checks the DMA list and its frames; fills iov_. Returns an EmuStatus.
    std::uint32_t map_dma(std::uint32_t frames);
    std::uint32_t transfer(IoKind kind, std::uint64_t offset, std::uint64_t bytes);

    CoreAccess& access_;
    const DiskImage& disk_;
    std::uint16_t domid_;
    std::unique_ptr<IoEngine> engine_;
    std::uint32_t sector_ = 0;
    std::uint32_t count_ = 0;
    std::uint32_t dma_ = 0;
    std::uint32_t status_ = abi::kEmuOk;
    bool identify_ = false; // the next status read returns the size
    std::vector<iovec> iov_;
    std::atomic<std::uint64_t> accesses_{0};
    std::atomic<std::uint64_t> commands_{0};
    std::atomic<std::uint64_t> bytes_{0};
    std::atomic<std::uint64_t> errors_{0};
};

} // namespace enso::backends
