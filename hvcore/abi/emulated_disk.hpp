// The emulated disk: a register-based block device whose every register
// access is a port access the monitor handles in user space (one exit each),
// the full-virtualization baseline the paravirtual path is measured against.
// Freestanding (<stdint.h> only).
//
// An I/O: write the sector, the sector count and the DMA list's frame, then
// the command; the device does the transfer before that `out` returns (as a
// bus-master controller would, then raise its status); read the status.
// Five exits per I/O. The DMA list is one guest page of uint64_t machine
// frame numbers, one per 4 KiB of the transfer (like an IDE PRD table).
#pragma once

#include <stdint.h>

namespace enso::abi {

inline constexpr uint8_t kPortEmuSector = 0xb0; // out: first sector (512 B units), low 32 bits
inline constexpr uint8_t kPortEmuCount =
    0xb4; // out: sectors, a multiple of 8, at most kEmuMaxSectors
inline constexpr uint8_t kPortEmuDma = 0xb8;     // out: machine frame of the DMA list
inline constexpr uint8_t kPortEmuCommand = 0xbc; // out: an EmuCommand; the transfer happens now
inline constexpr uint8_t kPortEmuStatus = 0xc0;  // in: EmuStatus of the last command
inline constexpr uint8_t kPortEmuFirst = kPortEmuSector;
inline constexpr uint32_t kEmuRegisters = 5; // 4 bytes apart, from kPortEmuFirst

inline constexpr uint32_t kEmuMaxSectors = 2048; // 1 MiB per command
inline constexpr uint32_t kEmuMaxFrames = kEmuMaxSectors / 8;

enum EmuCommand : uint32_t {
    kEmuRead = 1,     // disk -> the listed frames
    kEmuWrite = 2,    // the listed frames -> disk
    kEmuFlush = 3,    // fdatasync
    kEmuIdentify = 4, // status register then reads the disk's size in sectors (low 32 bits)
};

enum EmuStatus : uint32_t {
    kEmuOk = 0,
    kEmuError = 1,    // the I/O failed
    kEmuBadRange = 2, // past the disk's end, or a bad count
    kEmuBadFrame = 3, // the DMA list or a listed frame is not the guest's plain memory
};

} // namespace enso::abi
