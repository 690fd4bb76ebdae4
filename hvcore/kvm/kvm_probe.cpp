#include "hvcore/kvm/kvm_probe.hpp"

#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace enso::kvm {

namespace {

bool path_exists(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

class Fd {
public:
    explicit Fd(int fd) : fd_(fd) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }
    [[nodiscard]] int get() const { return fd_; }

private:
    int fd_;
};

} // namespace

std::string_view backend_name(Backend backend) {
    switch (backend) {
    case Backend::none:
        return "none";
    case Backend::pvm:
        return "PVM";
    case Backend::vmx:
        return "VMX";
    case Backend::svm:
        return "SVM";
    case Backend::unknown:
        return "unknown";
    }
    return "unknown";
}

std::optional<bool> guest_ring0_native(Backend backend) {
    switch (backend) {
    case Backend::pvm:
        return false;
    case Backend::vmx:
    case Backend::svm:
        return true;
    case Backend::none:
    case Backend::unknown:
        return std::nullopt;
    }
    return std::nullopt;
}

Backend detect_backend(const std::string& sys_module_dir) {
    if (path_exists(sys_module_dir + "/kvm_pvm")) {
        return Backend::pvm;
    }
    if (path_exists(sys_module_dir + "/kvm_intel")) {
        return Backend::vmx;
    }
    if (path_exists(sys_module_dir + "/kvm_amd")) {
        return Backend::svm;
    }
    if (path_exists(sys_module_dir + "/kvm")) {
        return Backend::unknown;
    }
    return Backend::none;
}

std::string_view device_state_name(DeviceState state) {
    switch (state) {
    case DeviceState::usable:
        return "usable";
    case DeviceState::missing:
        return "missing";
    case DeviceState::permission_denied:
        return "permission denied";
    case DeviceState::not_usable:
        return "not usable";
    }
    return "not usable";
}

const std::vector<Capability>& known_capabilities() {
    static const std::vector<Capability> caps = {
        {"USER_MEMORY", KVM_CAP_USER_MEMORY, 0},
        {"NR_MEMSLOTS", KVM_CAP_NR_MEMSLOTS, 0},
        {"NR_VCPUS", KVM_CAP_NR_VCPUS, 0},
        {"MAX_VCPUS", KVM_CAP_MAX_VCPUS, 0},
        {"SYNC_REGS", KVM_CAP_SYNC_REGS, 0},
        {"READONLY_MEM", KVM_CAP_READONLY_MEM, 0},
        {"IOEVENTFD", KVM_CAP_IOEVENTFD, 0},
        {"IOEVENTFD_ANY_LENGTH", KVM_CAP_IOEVENTFD_ANY_LENGTH, 0},
        {"IRQFD", KVM_CAP_IRQFD, 0},
        {"IRQCHIP", KVM_CAP_IRQCHIP, 0},
        {"IMMEDIATE_EXIT", KVM_CAP_IMMEDIATE_EXIT, 0},
        {"BINARY_STATS_FD", KVM_CAP_BINARY_STATS_FD, 0},
        {"COALESCED_MMIO", KVM_CAP_COALESCED_MMIO, 0},
        {"GET_TSC_KHZ", KVM_CAP_GET_TSC_KHZ, 0},
        {"TSC_CONTROL", KVM_CAP_TSC_CONTROL, 0},
        {"ADJUST_CLOCK", KVM_CAP_ADJUST_CLOCK, 0},
        {"X86_USER_SPACE_MSR", KVM_CAP_X86_USER_SPACE_MSR, 0},
        {"XEN_HVM", KVM_CAP_XEN_HVM, 0},
    };
    return caps;
}

std::optional<int> KvmProbe::capability(std::string_view name) const {
    for (const auto& cap : capabilities) {
        if (cap.name == name) {
            return cap.value;
        }
    }
    return std::nullopt;
}

nlohmann::json KvmProbe::to_json() const {
    nlohmann::json caps = nlohmann::json::object();
    for (const auto& cap : capabilities) {
        caps[cap.name] = cap.value;
    }
    const auto ring0 = guest_ring0_native(backend);
    return {
        {"device", device_path},
        {"device_state", std::string(device_state_name(device_state))},
        {"device_message", device_message},
        {"usable", usable()},
        {"api_version", api_version ? nlohmann::json(*api_version) : nlohmann::json()},
        {"backend", std::string(backend_name(backend))},
        {"guest_ring0_native", ring0 ? nlohmann::json(*ring0) : nlohmann::json()},
        {"capabilities", caps},
    };
}

std::string kvm_device_path() {
    const char* env = std::getenv("ENSO_KVM_DEVICE");
    return env != nullptr && *env != '\0' ? env : "/dev/kvm";
}

KvmProbe probe_kvm(const std::string& device_path) {
    KvmProbe probe;
    probe.device_path = device_path;
    probe.backend = detect_backend();

    const Fd fd(::open(device_path.c_str(), O_RDWR | O_CLOEXEC));
    if (fd.get() < 0) {
        const int err = errno;
        if (err == ENOENT) {
            probe.device_state = DeviceState::missing;
            probe.device_message = device_path + " does not exist (no KVM on this host)";
        } else if (err == EACCES || err == EPERM) {
            probe.device_state = DeviceState::permission_denied;
            probe.device_message =
                "cannot open " + device_path + " read-write: permission denied (join group 'kvm'?)";
        } else {
            probe.device_state = DeviceState::not_usable;
            probe.device_message = "cannot open " + device_path + ": " + std::strerror(err);
        }
        return probe;
    }

    const int api = ::ioctl(fd.get(), KVM_GET_API_VERSION, 0);
    if (api < 0) {
        probe.device_state = DeviceState::not_usable;
        probe.device_message = std::string("KVM_GET_API_VERSION failed: ") + std::strerror(errno);
        return probe;
    }
    probe.api_version = api;
    if (api != KVM_API_VERSION) {
        probe.device_state = DeviceState::not_usable;
        probe.device_message = "unexpected KVM API version " + std::to_string(api) + " (expected " +
                               std::to_string(KVM_API_VERSION) + ")";
        return probe;
    }

    for (auto cap : known_capabilities()) {
        const int value = ::ioctl(fd.get(), KVM_CHECK_EXTENSION, cap.id);
        cap.value = value < 0 ? 0 : value;
        probe.capabilities.push_back(std::move(cap));
    }
    probe.device_state = DeviceState::usable;
    probe.device_message = "opened read-write";
    return probe;
}

} // namespace enso::kvm
