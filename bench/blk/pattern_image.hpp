// The raw disk image the blk suite and tests use: every 4 KiB block stamped
// with generation 0 (workloads/blkio/block_integrity.hpp), so any read from
// any place can be checked from the first run on.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace enso::bench {

// Creates (or overwrites) path with bytes of generation-0 blocks and syncs it.
// Throws std::runtime_error with the reason.
void make_pattern_image(const std::filesystem::path& path, std::uint64_t bytes);

// Where an image goes: $ENSO_BLK_DIR if set, else the system's temporary
// directory (it must be a file system with O_DIRECT: not tmpfs).
std::filesystem::path image_directory();

// A file removed when this goes out of scope.
class TempImage {
public:
    TempImage(const std::string& name, std::uint64_t bytes);
    TempImage(const TempImage&) = delete;
    TempImage& operator=(const TempImage&) = delete;
    ~TempImage();
    [[nodiscard]] const std::filesystem::path& path() const { return path_; }
    [[nodiscard]] std::uint64_t bytes() const { return bytes_; }

private:
    std::filesystem::path path_;
    std::uint64_t bytes_;
};

} // namespace enso::bench
