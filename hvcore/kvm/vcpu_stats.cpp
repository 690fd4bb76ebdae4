#include "hvcore/kvm/vcpu_stats.hpp"

#include <linux/kvm.h>
#include <sys/ioctl.h>

#include <algorithm>
#include <cstring>
#include <unistd.h>
#include <vector>

namespace enso::kvm {

VcpuStats::VcpuStats(int vcpu_fd) {
#ifdef KVM_GET_STATS_FD
    fd_.reset(::ioctl(vcpu_fd, KVM_GET_STATS_FD, nullptr));
    if (!fd_.valid()) {
        return;
    }
    kvm_stats_header header{};
    if (::pread(fd_.get(), &header, sizeof header, 0) != static_cast<ssize_t>(sizeof header)) {
        fd_.reset();
        return;
    }
    // Descriptors are read by their documented layout (flags u32, exponent
    // s16, size u16, offset u32, bucket_size u32, then the name), with the
    // stride taken from the file: struct kvm_stats_desc's sizeof differs
    // between header versions.
    if (header.num_desc == 0 || header.data_offset <= header.desc_offset) {
        fd_.reset();
        return;
    }
    const std::size_t stride = (header.data_offset - header.desc_offset) / header.num_desc;
    constexpr std::size_t kNameAt = 16;
    if (stride <= kNameAt) {
        fd_.reset();
        return;
    }
    std::vector<char> descs(stride * header.num_desc);
    if (::pread(fd_.get(), descs.data(), descs.size(), header.desc_offset) !=
        static_cast<ssize_t>(descs.size())) {
        fd_.reset();
        return;
    }
    for (std::uint32_t i = 0; i < header.num_desc; ++i) {
        const char* desc = descs.data() + i * stride;
        std::uint16_t size = 0;
        std::uint32_t offset = 0;
        std::memcpy(&size, desc + 6, sizeof size);
        std::memcpy(&offset, desc + 8, sizeof offset);
        if (size != 1) {
            continue; // histograms: not used
        }
        const std::size_t name_max = std::min<std::size_t>(header.name_size, stride - kNameAt);
        const std::string name(desc + kNameAt, strnlen(desc + kNameAt, name_max));
        counters_[name] = {header.data_offset + offset};
    }
#else
    (void)vcpu_fd;
#endif
}

std::uint64_t VcpuStats::value(const std::string& name) const {
    const auto it = counters_.find(name);
    if (!fd_.valid() || it == counters_.end()) {
        return 0;
    }
    std::uint64_t v = 0;
    if (::pread(fd_.get(), &v, sizeof v, static_cast<off_t>(it->second.offset)) !=
        static_cast<ssize_t>(sizeof v)) {
        return 0;
    }
    return v;
}

ExitCounts VcpuStats::read() const {
    return {value("exits"), value("io_exits"), value("mmio_exits"), value("halt_exits")};
}

} // namespace enso::kvm
