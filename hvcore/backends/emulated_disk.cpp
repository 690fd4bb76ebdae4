#include "hvcore/backends/emulated_disk.hpp"

#include "hvcore/core/frame_table.hpp"

namespace enso::backends {

namespace {

// The guest's own memory, not a page table (even one kept typed at count
// zero: writing it would skip revalidation) nor a frame the core holds.
bool plain_frame_of(const core::CState& s, std::uint32_t f, std::uint16_t d) {
    if (f >= s.nr_frames) {
        return false;
    }
    const auto flags = s.frames.flags.get(f);
    const auto type = s.frames.type.get(f);
    return (flags & core::kFrameAllocated) != 0 && (flags & core::kFrameXenRef) == 0 &&
           s.frames.owner.get(f) == d && (type == core::kTypeNone || type == core::kTypeWritable);
}

} // namespace

EmulatedDisk::EmulatedDisk(CoreAccess& access, const DiskImage& disk, std::uint16_t domid,
                           EngineKind engine)
    : access_(access), disk_(disk), domid_(domid), engine_(make_engine(engine, disk.fd(), 4)) {
    iov_.reserve(abi::kEmuMaxFrames);
}

EmulatedDisk::Stats EmulatedDisk::stats() const {
    return {accesses_.load(), commands_.load(), bytes_.load(), errors_.load()};
}

std::uint32_t EmulatedDisk::access(std::uint16_t port, bool is_out, std::uint32_t value) {
    accesses_.fetch_add(1, std::memory_order_relaxed);
    if (!is_out) {
        if (port != abi::kPortEmuStatus) {
            return ~0U; // reading a write-only register: all ones, as an empty bus
        }
        if (identify_) {
            identify_ = false;
            return static_cast<std::uint32_t>(disk_.sectors());
        }
        return status_;
    }
    switch (port) {
    case abi::kPortEmuSector:
        sector_ = value;
        break;
    case abi::kPortEmuCount:
        count_ = value;
        break;
    case abi::kPortEmuDma:
        dma_ = value;
        break;
    case abi::kPortEmuCommand:
        status_ = run_command(value);
        commands_.fetch_add(1, std::memory_order_relaxed);
        errors_.fetch_add(status_ == abi::kEmuOk ? 0 : 1, std::memory_order_relaxed);
        break;
    default:
        break; // writes to the status register are ignored
    }
    return 0;
}

std::uint32_t EmulatedDisk::map_dma(std::uint32_t frames) {
    iov_.clear();
    bool ok = true;
    access_.run([&](core::Core& core) {
        const auto& s = core.state();
        ok = plain_frame_of(s, dma_, domid_);
        if (!ok) {
            return;
        }
        const auto* list = reinterpret_cast<const std::uint64_t*>(access_.frame(dma_));
        for (std::uint32_t i = 0; ok && i < frames; ++i) {
            const std::uint64_t f = list[i];
            ok = f < s.nr_frames && plain_frame_of(s, static_cast<std::uint32_t>(f), domid_);
            if (ok) {
                iov_.push_back({access_.frame(static_cast<std::uint32_t>(f)), 4096});
            }
        }
    });
    // The vCPU is here, in the exit, and no other domain can change this
    // guest's frames: what was checked holds for the transfer below.
    return ok ? abi::kEmuOk : abi::kEmuBadFrame;
}

std::uint32_t EmulatedDisk::transfer(IoKind kind, std::uint64_t offset, std::uint64_t bytes) {
    IoRequest r;
    r.kind = kind;
    r.offset = offset;
    r.iov = iov_.data();
    r.iovcnt = static_cast<unsigned>(iov_.size());
    r.bytes = bytes;
    if (!engine_->submit(r)) {
        return abi::kEmuError;
    }
    engine_->commit();
    IoCompletion done{};
    while (engine_->reap(&done, 1) == 0) {
        engine_->wait(std::chrono::milliseconds(100));
    }
    const std::int64_t want = kind == IoKind::flush ? 0 : static_cast<std::int64_t>(bytes);
    if (done.result != want) {
        return abi::kEmuError;
    }
    bytes_.fetch_add(bytes, std::memory_order_relaxed);
    return abi::kEmuOk;
}

std::uint32_t EmulatedDisk::run_command(std::uint32_t command) {
    switch (command) {
    case abi::kEmuIdentify:
        identify_ = true;
        return abi::kEmuOk;
    case abi::kEmuFlush:
        iov_.clear();
        return transfer(IoKind::flush, 0, 0);
    case abi::kEmuRead:
    case abi::kEmuWrite: {
        if (count_ == 0 || count_ % 8 != 0 || count_ > abi::kEmuMaxSectors ||
            std::uint64_t{sector_} + count_ > disk_.sectors()) {
            return abi::kEmuBadRange;
        }
        if (const auto st = map_dma(count_ / 8); st != abi::kEmuOk) {
            return st;
        }
        return transfer(command == abi::kEmuRead ? IoKind::read : IoKind::write,
                        std::uint64_t{sector_} << 9, std::uint64_t{count_} << 9);
    }
    default:
        return abi::kEmuError;
    }
}

} // namespace enso::backends
