// Probe of the host's /dev/kvm: can we open it, which API, which
// capabilities, and which backend serves it (VMX, SVM or PVM).
// Errors are values: nothing here throws.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace enso::kvm {

// Which kernel module serves /dev/kvm.
enum class Backend {
    none,    // no kvm module loaded
    pvm,     // kvm_pvm: guest runs deprivileged in ring 3, shadow paging
    vmx,     // kvm_intel: hardware virtualization
    svm,     // kvm_amd: hardware virtualization
    unknown, // kvm is loaded but no known vendor module
};

std::string_view backend_name(Backend backend);

// Whether guest ring 0 runs natively under this backend (false for PVM,
// where it is emulated); empty when unknown.
std::optional<bool> guest_ring0_native(Backend backend);

// Looks at /sys/module (or another root, for tests).
Backend detect_backend(const std::string& sys_module_dir = "/sys/module");

enum class DeviceState { usable, missing, permission_denied, not_usable };

std::string_view device_state_name(DeviceState state);

struct Capability {
    std::string name; // without the KVM_CAP_ prefix, e.g. "SYNC_REGS"
    int id = 0;       // KVM_CAP_* number
    int value = 0;    // KVM_CHECK_EXTENSION result: 0 absent, >0 present (or a count)
};

struct KvmProbe {
    std::string device_path;
    DeviceState device_state = DeviceState::missing;
    std::string device_message;           // human-readable reason when not usable
    std::optional<int> api_version;       // KVM_GET_API_VERSION, when the device opened
    std::vector<Capability> capabilities; // empty when the device is not usable
    Backend backend = Backend::none;

    [[nodiscard]] bool usable() const { return device_state == DeviceState::usable; }
    // Value of a capability by name, empty if unknown or not probed.
    [[nodiscard]] std::optional<int> capability(std::string_view name) const;
    [[nodiscard]] nlohmann::json to_json() const;
};

// The KVM device to use: $ENSO_KVM_DEVICE when set (a test can point it at
// a path that does not exist, to see a host without KVM), else /dev/kvm.
std::string kvm_device_path();

// Opens the device read-write, asks for the API version and checks every
// capability in known_capabilities().
KvmProbe probe_kvm(const std::string& device_path = kvm_device_path());

// The capabilities Enso cares about, by name and KVM_CAP_* number.
const std::vector<Capability>& known_capabilities();

} // namespace enso::kvm
