#include "hvcore/backends/disk_image.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <stdexcept>
#include <unistd.h>

namespace enso::backends {

DiskImage::DiskImage(const std::string& path, bool direct) : path_(path), direct_(direct) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CLOEXEC | (direct ? O_DIRECT : 0));
    if (fd_ < 0) {
        const int err = errno;
        throw std::runtime_error(
            "cannot open disk image " + path + (direct ? " with O_DIRECT" : "") + ": " +
            std::strerror(err) +
            (direct && err == EINVAL ? " (the file system does not support O_DIRECT)" : ""));
    }
    struct stat st {};
    if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
        st.st_size % 4096 != 0) {
        ::close(fd_);
        fd_ = -1;
        throw std::runtime_error("disk image " + path +
                                 " must be a regular file of whole 4 KiB blocks");
    }
    bytes_ = static_cast<std::uint64_t>(st.st_size);
}

DiskImage::~DiskImage() {
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

} // namespace enso::backends
