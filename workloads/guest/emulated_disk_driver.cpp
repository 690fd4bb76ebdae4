#include "workloads/guest/emulated_disk_driver.hpp"

#include "hvcore/abi/emulated_disk.hpp"
#include "workloads/guest/frame_allocator.hpp"
#include "workloads/guest/page_tables.hpp"

namespace enso::guest {

namespace {

uint64_t g_dma_list = kNoMfn; // the page of frame numbers the device reads

void out32(uint16_t port, uint32_t value) {
    asm volatile("outl %%eax, %%dx" : : "a"(value), "d"(port) : "memory");
}

uint32_t in32(uint16_t port) {
    uint32_t value;
    asm volatile("inl %%dx, %%eax" : "=a"(value) : "d"(port) : "memory");
    return value;
}

} // namespace

uint64_t emu_disk_sectors() {
    out32(abi::kPortEmuCommand, abi::kEmuIdentify);
    return in32(abi::kPortEmuStatus);
}

long emu_disk_io(uint8_t op, uint64_t sector, const BlkPage* pages, uint32_t npages,
                 uint32_t* status) {
    uint32_t command = abi::kEmuFlush;
    if (op == BLKIF_OP_READ || op == BLKIF_OP_WRITE) {
        if (npages == 0 || npages > abi::kEmuMaxFrames || sector > 0xffffffffULL) {
            return -XEN_EINVAL;
        }
        if (g_dma_list == kNoMfn && (g_dma_list = alloc_frame()) == kNoMfn) {
            return -XEN_ENOMEM;
        }
        uint64_t* list = phys_ptr(g_dma_list << kPageShift);
        for (uint32_t i = 0; i < npages; ++i) {
            list[i] = pages[i].mfn;
        }
        out32(abi::kPortEmuSector, static_cast<uint32_t>(sector));
        out32(abi::kPortEmuCount, npages * 8);
        out32(abi::kPortEmuDma, static_cast<uint32_t>(g_dma_list));
        command = op == BLKIF_OP_READ ? abi::kEmuRead : abi::kEmuWrite;
    }
    out32(abi::kPortEmuCommand, command);
    *status = in32(abi::kPortEmuStatus);
    return *status == abi::kEmuOk ? 0 : -XEN_EIO;
}

} // namespace enso::guest
