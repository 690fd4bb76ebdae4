// The synchronous engine: preadv/pwritev/fdatasync on the calling thread,
// one request at a time. What a back end without an asynchronous interface
// does; its queue depth at the disk is always one.
#pragma once

#include "hvcore/backends/io_engine.hpp"

#include <vector>

namespace enso::backends {

class SyncEngine final : public IoEngine {
public:
    explicit SyncEngine(int fd, unsigned capacity = 64) : fd_(fd), capacity_(capacity) {
        done_.reserve(capacity);
    }
    [[nodiscard]] const char* name() const override { return "pread"; }
    [[nodiscard]] unsigned capacity() const override { return capacity_; }
    bool submit(const IoRequest& r) override;
    void commit() override {}
    unsigned reap(IoCompletion* out, unsigned max) override;
    void wait(std::chrono::microseconds /*timeout*/) override {}
    [[nodiscard]] unsigned in_flight() const override {
        return static_cast<unsigned>(done_.size() - head_);
    }

private:
    int fd_;
    unsigned capacity_;
    std::vector<IoCompletion> done_; // done, not yet reaped: from head_
    std::size_t head_ = 0;
};

// One transfer, all of it, with the preadv/pwritev loop short transfers
// need; shared with the emulated disk. Returns 0 or an errno.
int transfer_all(int fd, IoKind kind, std::uint64_t offset, const iovec* iov, unsigned iovcnt);

} // namespace enso::backends
