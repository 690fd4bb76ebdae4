// What a back end does its disk I/O with: queue requests, hand them to the
// kernel, collect completions. Two engines: synchronous pread/pwrite
// (sync_engine) and io_uring (uring_engine).
#pragma once

#include <sys/uio.h>

#include <chrono>
#include <cstdint>

namespace enso::backends {

enum class IoKind : std::uint8_t { read, write, flush };

struct IoRequest {
    IoKind kind = IoKind::read;
    std::uint64_t offset = 0;
    const iovec* iov = nullptr; // stays valid until the completion is reaped
    unsigned iovcnt = 0;
    std::uint64_t bytes = 0; // what a complete transfer moves
    std::uint64_t tag = 0;   // returned in the completion
};

struct IoCompletion {
    std::uint64_t tag = 0;
    std::int64_t result = 0; // bytes moved (0 for a flush), or -errno
};

class IoEngine {
public:
    virtual ~IoEngine() = default;
    [[nodiscard]] virtual const char* name() const = 0;
    // Requests that may be in flight at once.
    [[nodiscard]] virtual unsigned capacity() const = 0;
    // Queues one request; false when capacity() are already in flight.
    virtual bool submit(const IoRequest& r) = 0;
    // Hands what was queued to the kernel.
    virtual void commit() = 0;
    // Completions available now (never blocks); returns how many were written.
    virtual unsigned reap(IoCompletion* out, unsigned max) = 0;
    // Sleeps until a completion is available, or timeout.
    virtual void wait(std::chrono::microseconds timeout) = 0;
    [[nodiscard]] virtual unsigned in_flight() const = 0;
};

} // namespace enso::backends
