#include "hvcore/kvm/machine_memory.hpp"

#include "hvcore/kvm/kvm_error.hpp"

#include <sys/mman.h>

#include <unistd.h>

namespace enso::kvm {

MachineMemory::MachineMemory(std::uint32_t nr_frames)
    : nr_frames_(nr_frames), size_(std::size_t{nr_frames} * 4096) {
    fd_.reset(::memfd_create("enso-machine-memory", MFD_CLOEXEC));
    if (!fd_.valid()) {
        throw_errno("memfd_create");
    }
    if (::ftruncate(fd_.get(), static_cast<off_t>(size_)) != 0) {
        throw_errno("ftruncate of machine memory");
    }
    void* p = ::mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_SHARED, fd_.get(), 0);
    if (p == MAP_FAILED) {
        throw_errno("mmap of machine memory");
    }
    base_ = static_cast<std::byte*>(p);
}

MachineMemory::~MachineMemory() {
    if (base_ != nullptr) {
        ::munmap(base_, size_);
    }
}

} // namespace enso::kvm
