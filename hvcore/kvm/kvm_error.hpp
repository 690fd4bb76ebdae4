// Failures of the platform (an ioctl refused, a bad guest image): the monitor
// reports them with the call that failed and errno's text.
#pragma once

#include <stdexcept>
#include <string>

namespace enso::kvm {

class KvmError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Throws KvmError("<what>: <strerror(errno)>").
[[noreturn]] void throw_errno(const std::string& what);

} // namespace enso::kvm
