// The disk a back end serves: a raw image file, opened buffered or with
// O_DIRECT (the page cache bypassed, as a hypervisor with cache=none does).
#pragma once

#include <cstdint>
#include <string>

namespace enso::backends {

class DiskImage {
public:
    // Throws std::runtime_error with the reason (missing file, a file system
    // without O_DIRECT, a size that is not a whole number of 4 KiB blocks).
    DiskImage(const std::string& path, bool direct);
    DiskImage(const DiskImage&) = delete;
    DiskImage& operator=(const DiskImage&) = delete;
    ~DiskImage();

    [[nodiscard]] int fd() const { return fd_; }
    [[nodiscard]] std::uint64_t bytes() const { return bytes_; }
    [[nodiscard]] std::uint64_t sectors() const { return bytes_ >> 9; }
    [[nodiscard]] bool direct() const { return direct_; }
    [[nodiscard]] const std::string& path() const { return path_; }

private:
    std::string path_;
    int fd_ = -1;
    std::uint64_t bytes_ = 0;
    bool direct_ = false;
};

} // namespace enso::backends
