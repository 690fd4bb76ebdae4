// A guest's I/O ports: each range is served by a handler that a transport
// or a device registers (as Solo5's hvt registers its hypercall ports).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

namespace enso::kvm {

struct GuestDomain;

class PortTable {
public:
    // Runs on the guest's vCPU thread for an exit at one of its ports;
    // returns whether the guest goes on.
    using Handler = std::function<bool(GuestDomain&)>;

    struct Entry {
        std::uint16_t first = 0;
        std::uint16_t count = 0;
        // Devices see every access and check it themselves; the monitor's
        // own ports take only a single 4-byte `out`.
        bool any_access = false;
        std::shared_ptr<Handler> handler;
    };

    void add(std::uint16_t first, std::uint16_t count, bool any_access, Handler handler) {
        entries_.push_back(
            {first, count, any_access, std::make_shared<Handler>(std::move(handler))});
    }

    // The newest range that holds the port: a device may take over a port.
    [[nodiscard]] std::optional<Entry> find(std::uint16_t port) const {
        for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
            if (port >= it->first && port - it->first < it->count) {
                return *it;
            }
        }
        return std::nullopt;
    }

    // Removes the devices (they go with their back ends), returning them so
    // that the caller drops them outside its lock.
    std::vector<Entry> take_devices() {
        std::vector<Entry> devices;
        std::erase_if(entries_, [&](const Entry& e) {
            if (e.any_access) {
                devices.push_back(e);
            }
            return e.any_access;
        });
        return devices;
    }

private:
    std::vector<Entry> entries_;
};

} // namespace enso::kvm
