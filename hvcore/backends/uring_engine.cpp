#include "hvcore/backends/uring_engine.hpp"

#include <cerrno>
#include <cstring>
#include <sched.h>
#include <stdexcept>
#include <unistd.h>

namespace enso::backends {

UringEngine::UringEngine(int fd, unsigned capacity) : fd_(fd), capacity_(capacity) {
    // The CQ has room for every request in flight, so it never overflows.
    io_uring_params params{};
    params.flags = IORING_SETUP_CQSIZE;
    params.cq_entries = 4 * (capacity + 4);
    const int rc = io_uring_queue_init_params(2 * (capacity + 4), &ring_, &params);
    if (rc < 0) {
        throw std::runtime_error(std::string("io_uring_queue_init: ") + std::strerror(-rc));
    }
    // The file is used by every request: registered, the kernel skips the
    // per-request file lookup.
    int fds[1] = {fd_};
    fixed_ = io_uring_register_files(&ring_, fds, 1) == 0;
    // Requests the kernel cannot issue at once (buffered I/O, some O_DIRECT
    // writes) go to io-wq workers, which inherit this thread's CPU
    // affinity: a back end pinned to one core would queue them behind
    // itself. They may run anywhere.
    cpu_set_t all;
    CPU_ZERO(&all);
    for (int cpu = 0; cpu < CPU_SETSIZE && cpu < ::sysconf(_SC_NPROCESSORS_CONF); ++cpu) {
        CPU_SET(cpu, &all);
    }
    (void)io_uring_register_iowq_aff(&ring_, sizeof all, &all);
}

UringEngine::~UringEngine() {
    io_uring_queue_exit(&ring_);
}

bool UringEngine::submit(const IoRequest& r) {
    if (in_flight_ >= capacity_) {
        return false;
    }
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    if (sqe == nullptr) {
        commit();
        sqe = io_uring_get_sqe(&ring_);
        if (sqe == nullptr) {
            return false;
        }
    }
    const int fd = fixed_ ? 0 : fd_; // a registered file is named by its index
    switch (r.kind) {
    case IoKind::read:
        io_uring_prep_readv(sqe, fd, r.iov, r.iovcnt, r.offset);
        break;
    case IoKind::write:
        io_uring_prep_writev(sqe, fd, r.iov, r.iovcnt, r.offset);
        break;
    case IoKind::flush:
        io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC);
        sqe->flags |= IOSQE_IO_DRAIN;
        break;
    }
    if (fixed_) {
        sqe->flags |= IOSQE_FIXED_FILE;
    }
    io_uring_sqe_set_data64(sqe, r.tag);
    ++in_flight_;
    ++queued_;
    return true;
}

void UringEngine::commit() {
    if (queued_ == 0) {
        return;
    }
    int rc = 0;
    do {
        rc = io_uring_submit(&ring_);
    } while (rc == -EINTR || rc == -EAGAIN);
    queued_ = 0;
}

unsigned UringEngine::reap(IoCompletion* out, unsigned max) {
    unsigned n = 0;
    io_uring_cqe* cqe = nullptr;
    while (n < max && io_uring_peek_cqe(&ring_, &cqe) == 0) {
        out[n++] = {io_uring_cqe_get_data64(cqe), cqe->res};
        io_uring_cqe_seen(&ring_, cqe);
        --in_flight_;
    }
    return n;
}

void UringEngine::wait(std::chrono::microseconds timeout) {
    commit();
    __kernel_timespec ts{};
    ts.tv_sec = static_cast<long long>(timeout.count() / 1000000);
    ts.tv_nsec = static_cast<long long>((timeout.count() % 1000000) * 1000);
    io_uring_cqe* cqe = nullptr;
    (void)io_uring_wait_cqe_timeout(&ring_, &cqe, &ts); // leaves the cqe for reap
}

} // namespace enso::backends
