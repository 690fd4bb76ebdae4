#include "hvcore/backends/sync_engine.hpp"

#include <cerrno>
#include <climits>
#include <unistd.h>

namespace enso::backends {

int transfer_all(int fd, IoKind kind, std::uint64_t offset, const iovec* iov, unsigned iovcnt) {
    if (kind == IoKind::flush) {
        return ::fdatasync(fd) == 0 ? 0 : errno;
    }
    // A copy of the vector: a short transfer moves its start.
    iovec local[IOV_MAX > 512 ? 512 : IOV_MAX];
    if (iovcnt > sizeof local / sizeof local[0]) {
        return EINVAL;
    }
    for (unsigned i = 0; i < iovcnt; ++i) {
        local[i] = iov[i];
    }
    iovec* v = local;
    unsigned n = iovcnt;
    auto pos = static_cast<off_t>(offset);
    while (n > 0) {
        const ssize_t got = kind == IoKind::read ? ::preadv(fd, v, static_cast<int>(n), pos)
                                                 : ::pwritev(fd, v, static_cast<int>(n), pos);
        if (got < 0) {
            if (errno == EINTR) {
                continue;
            }
            return errno;
        }
        if (got == 0) {
            return EIO; // past the end of the file
        }
        pos += got;
        auto left = static_cast<std::size_t>(got);
        while (n > 0 && left >= v->iov_len) {
            left -= v->iov_len;
            ++v;
            --n;
        }
        if (n > 0) {
            v->iov_base = static_cast<char*>(v->iov_base) + left;
            v->iov_len -= left;
        }
    }
    return 0;
}

bool SyncEngine::submit(const IoRequest& r) {
    if (in_flight() >= capacity_) {
        return false;
    }
    if (head_ == done_.size()) {
        done_.clear();
        head_ = 0;
    }
    const int err = transfer_all(fd_, r.kind, r.offset, r.iov, r.iovcnt);
    const std::int64_t moved = r.kind == IoKind::flush ? 0 : static_cast<std::int64_t>(r.bytes);
    done_.push_back({r.tag, err == 0 ? moved : -std::int64_t{err}});
    return true;
}

unsigned SyncEngine::reap(IoCompletion* out, unsigned max) {
    unsigned n = 0;
    while (n < max && head_ < done_.size()) {
        out[n++] = done_[head_++];
    }
    return n;
}

} // namespace enso::backends
