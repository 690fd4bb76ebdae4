// The guest's driver for the emulated disk (hvcore/abi/emulated_disk.hpp):
// every register access is a port access the monitor handles in user space,
// so an I/O costs five exits whatever its size.
#pragma once

#include "workloads/guest/blkfront.hpp"

namespace enso::guest {

// The disk's size in sectors (0 when there is no such device: the monitor
// then stops the guest at the first access, so call it only when told).
uint64_t emu_disk_sectors();

// One transfer of npages whole pages at sector (a read, a write or a flush
// with no pages): 0, or -EIO with the device's status in *status.
long emu_disk_io(uint8_t op, uint64_t sector, const BlkPage* pages, uint32_t npages,
                 uint32_t* status);

} // namespace enso::guest
