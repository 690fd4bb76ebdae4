#include "bench/blk/pattern_image.hpp"

#include "workloads/blkio/block_integrity.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <stdexcept>
#include <unistd.h>
#include <vector>

namespace enso::bench {

void make_pattern_image(const std::filesystem::path& path, std::uint64_t bytes) {
    if (bytes == 0 || bytes % blkio::kBlockSize != 0) {
        throw std::runtime_error("an image is a whole number of 4 KiB blocks");
    }
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        throw std::runtime_error("cannot create " + path.string() + ": " + std::strerror(errno));
    }
    constexpr std::uint64_t kChunk = 4ULL << 20;
    std::vector<unsigned char> buf(kChunk);
    for (std::uint64_t at = 0; at < bytes; at += kChunk) {
        const std::uint64_t n = std::min(kChunk, bytes - at);
        for (std::uint64_t k = 0; k < n / blkio::kBlockSize; ++k) {
            blkio::fill_block(buf.data() + k * blkio::kBlockSize, at / blkio::kBlockSize + k, 0);
        }
        std::size_t done = 0;
        while (done < n) {
            const ssize_t w =
                ::pwrite(fd, buf.data() + done, n - done, static_cast<off_t>(at + done));
            if (w <= 0) {
                const int err = errno;
                ::close(fd);
                throw std::runtime_error("cannot write " + path.string() + ": " +
                                         std::strerror(err));
            }
            done += static_cast<std::size_t>(w);
        }
    }
    const bool synced = ::fsync(fd) == 0;
    ::close(fd);
    if (!synced) {
        throw std::runtime_error("cannot sync " + path.string());
    }
}

std::filesystem::path image_directory() {
    if (const char* dir = std::getenv("ENSO_BLK_DIR"); dir != nullptr && *dir != '\0') {
        return dir;
    }
    return std::filesystem::temp_directory_path();
}

TempImage::TempImage(const std::string& name, std::uint64_t bytes)
    : path_(image_directory() / (name + "-" + std::to_string(::getpid()) + ".img")), bytes_(bytes) {
    make_pattern_image(path_, bytes);
}

TempImage::~TempImage() {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
}

} // namespace enso::bench
