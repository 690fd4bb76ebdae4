#include "hvcore/kvm/kvm_error.hpp"

#include <cerrno>
#include <cstring>

namespace enso::kvm {

void throw_errno(const std::string& what) {
    const int err = errno;
    throw KvmError(what + ": " + std::strerror(err));
}

} // namespace enso::kvm
