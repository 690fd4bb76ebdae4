// The io_uring engine (liburing): requests queued as SQEs, handed to the
// kernel in one io_uring_enter per batch, completions reaped from the CQ
// ring without a system call. A flush is IORING_OP_FSYNC(DATASYNC) with
// IOSQE_IO_DRAIN, so it covers every write submitted before it.
#pragma once

#include "hvcore/backends/io_engine.hpp"

#include <liburing.h>
#include <string>

namespace enso::backends {

class UringEngine final : public IoEngine {
public:
    // Throws std::runtime_error when io_uring cannot be set up.
    UringEngine(int fd, unsigned capacity);
    UringEngine(const UringEngine&) = delete;
    UringEngine& operator=(const UringEngine&) = delete;
    ~UringEngine() override;

    [[nodiscard]] const char* name() const override { return "io_uring"; }
    [[nodiscard]] unsigned capacity() const override { return capacity_; }
    bool submit(const IoRequest& r) override;
    void commit() override;
    unsigned reap(IoCompletion* out, unsigned max) override;
    void wait(std::chrono::microseconds timeout) override;
    [[nodiscard]] unsigned in_flight() const override { return in_flight_; }

private:
    io_uring ring_{};
    int fd_;
    bool fixed_ = false; // fd_ registered with the ring
    unsigned capacity_;
    unsigned in_flight_ = 0;
    unsigned queued_ = 0;
};

} // namespace enso::backends
