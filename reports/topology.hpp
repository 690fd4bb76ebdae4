// The domains, grant mappings and event channels at the end of a run, as
// `enso run` records them in the results file's top-level "topology" block:
//
//   "topology": {
//     "domains":        [{"id": 0, "name": "dom0", "frames": 4096}, ...],
//     "grants":         [{"granter": 1, "grantee": 0, "ref": 8,
//                         "readonly": false, "mapped": true}, ...],
//     "event_channels": [{"domain": 1, "port": 3,
//                         "remote_domain": 0, "remote_port": 5}, ...]
//   }
//
// "name" and "mapped" are optional ("mapped" false: granted, not mapped
// now). Unknown fields are ignored; a malformed entry is skipped with a
// warning rather than failing the whole report.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace enso::reports {

struct TopologyDomain {
    std::int64_t id = 0;
    std::string name; // "dom1" when the file gives none
    std::int64_t frames = 0;
};

struct TopologyGrant {
    std::int64_t granter = 0;
    std::int64_t grantee = 0;
    std::int64_t ref = 0;
    bool readonly = false;
    bool mapped = true;
};

struct TopologyEventChannel {
    std::int64_t domain = 0;
    std::int64_t port = 0;
    std::int64_t remote_domain = 0;
    std::int64_t remote_port = 0;
};

struct Topology {
    std::vector<TopologyDomain> domains;
    std::vector<TopologyGrant> grants;
    std::vector<TopologyEventChannel> event_channels;

    [[nodiscard]] bool empty() const {
        return domains.empty() && grants.empty() && event_channels.empty();
    }
};

// Reads a "topology" block; problems go to warnings.
Topology parse_topology(const nlohmann::json& block, std::vector<std::string>& warnings);

} // namespace enso::reports
