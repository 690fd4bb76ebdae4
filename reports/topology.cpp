#include "reports/topology.hpp"

#include <fmt/core.h>

#include <algorithm>

namespace enso::reports {

namespace {

bool read_int(const nlohmann::json& j, const char* key, std::int64_t& out) {
    if (!j.contains(key) || !j[key].is_number_integer()) {
        return false;
    }
    out = j[key].get<std::int64_t>();
    return true;
}

bool read_bool(const nlohmann::json& j, const char* key, bool fallback) {
    return j.contains(key) && j[key].is_boolean() ? j[key].get<bool>() : fallback;
}

const nlohmann::json& list(const nlohmann::json& block, const char* key,
                           std::vector<std::string>& warnings) {
    static const nlohmann::json empty = nlohmann::json::array();
    if (!block.contains(key)) {
        return empty;
    }
    if (!block[key].is_array()) {
        warnings.push_back(fmt::format("topology.{} is not a list: ignored", key));
        return empty;
    }
    return block[key];
}

} // namespace

Topology parse_topology(const nlohmann::json& block, std::vector<std::string>& warnings) {
    Topology t;
    if (!block.is_object()) {
        warnings.emplace_back("the topology block is not an object: no topology diagram");
        return t;
    }
    size_t i = 0;
    for (const auto& d : list(block, "domains", warnings)) {
        TopologyDomain dom;
        if (!d.is_object() || !read_int(d, "id", dom.id)) {
            warnings.push_back(fmt::format("topology.domains[{}] has no integer id: skipped", i));
        } else {
            read_int(d, "frames", dom.frames);
            dom.name = d.contains("name") && d["name"].is_string() ? d["name"].get<std::string>()
                                                                   : fmt::format("dom{}", dom.id);
            t.domains.push_back(dom);
        }
        ++i;
    }
    i = 0;
    for (const auto& g : list(block, "grants", warnings)) {
        TopologyGrant grant;
        if (!g.is_object() || !read_int(g, "granter", grant.granter) ||
            !read_int(g, "grantee", grant.grantee) || !read_int(g, "ref", grant.ref)) {
            warnings.push_back(
                fmt::format("topology.grants[{}] lacks granter, grantee or ref: skipped", i));
        } else {
            grant.readonly = read_bool(g, "readonly", false);
            grant.mapped = read_bool(g, "mapped", true);
            t.grants.push_back(grant);
        }
        ++i;
    }
    i = 0;
    for (const auto& e : list(block, "event_channels", warnings)) {
        TopologyEventChannel ch;
        if (!e.is_object() || !read_int(e, "domain", ch.domain) || !read_int(e, "port", ch.port) ||
            !read_int(e, "remote_domain", ch.remote_domain) ||
            !read_int(e, "remote_port", ch.remote_port)) {
            warnings.push_back(fmt::format("topology.event_channels[{}] lacks domain, port, "
                                           "remote_domain or remote_port: skipped",
                                           i));
        } else {
            t.event_channels.push_back(ch);
        }
        ++i;
    }
    // Domains only named by a grant or a channel still get a node.
    auto ensure = [&t](std::int64_t id) {
        if (std::none_of(t.domains.begin(), t.domains.end(),
                         [id](const TopologyDomain& d) { return d.id == id; })) {
            t.domains.push_back({id, fmt::format("dom{}", id), 0});
        }
    };
    for (const auto& g : t.grants) {
        ensure(g.granter);
        ensure(g.grantee);
    }
    for (const auto& e : t.event_channels) {
        ensure(e.domain);
        ensure(e.remote_domain);
    }
    return t;
}

} // namespace enso::reports
