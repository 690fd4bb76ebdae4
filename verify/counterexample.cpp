#include "verify/counterexample.hpp"

#include <nlohmann/json.hpp>

namespace enso::verify {

namespace {

std::string hex(std::uint64_t v) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
    return buf;
}

} // namespace

void to_json(nlohmann::json& j, const Counterexample& c) {
    j = nlohmann::json::object();
    j["handler"] = c.handler;
    j["invariant"] = c.invariant;
    j["checks"] = c.checks;
    j["path"] = c.path;
    for (const auto& [name, v] : c.args) {
        j["args"][name] = v;
    }
    for (const auto& [name, v] : c.binders) {
        j["where"][name] = v;
    }
    j["nr_frames"] = c.nr_frames;
    j["small_machine"] = c.small;
    j["closed_world"] = c.closed_world;
    auto& st = j["pre_state"];
    st["frames"] = nlohmann::json::array();
    for (const auto& [f, r] : c.frames) {
        st["frames"].push_back({{"frame", f},
                                {"owner", r.owner},
                                {"count", r.count},
                                {"type", r.type},
                                {"type_count", r.type_count},
                                {"flags", r.flags}});
    }
    st["words"] = nlohmann::json::array();
    for (const auto& [at, w] : c.words) {
        st["words"].push_back({{"frame", at.first}, {"slot", at.second}, {"value", hex(w)}});
    }
    st["domains"] = nlohmann::json::array();
    for (const auto& [d, r] : c.doms) {
        st["domains"].push_back({{"dom", d},
                                 {"state", r.state},
                                 {"tot_pages", r.tot_pages},
                                 {"max_pages", r.max_pages},
                                 {"baseptr", r.baseptr},
                                 {"shared_info", r.shared_info},
                                 {"gnttab_nr_frames", r.gnttab_nr_frames},
                                 {"gnttab_status", r.gnttab_status}});
    }
    st["gnttab_frames"] = nlohmann::json::array();
    for (const auto& [g, f] : c.gnttab_frames) {
        st["gnttab_frames"].push_back({{"dom", g >> 2}, {"index", g & 3}, {"frame", f}});
    }
    st["grants"] = nlohmann::json::array();
    for (const auto& [gi, r] : c.grants) {
        st["grants"].push_back({{"granter", gi >> 11},
                                {"ref", gi & 2047},
                                {"readers", r.readers},
                                {"writers", r.writers},
                                {"frame", r.frame},
                                {"grantee", r.grantee}});
    }
    st["maptrack"] = nlohmann::json::array();
    for (const auto& [mi, r] : c.maps) {
        st["maptrack"].push_back({{"dom", mi >> 10},
                                  {"handle", mi & 1023},
                                  {"flags", r.flags},
                                  {"granter", r.granter},
                                  {"ref", r.ref},
                                  {"host_addr", hex(r.host_addr)}});
    }
    st["ports"] = nlohmann::json::array();
    for (const auto& [pi, r] : c.ports) {
        st["ports"].push_back({{"dom", pi >> 10},
                               {"port", pi & 1023},
                               {"state", r.state},
                               {"remote_dom", r.remote_dom},
                               {"remote_port", r.remote_port}});
    }
}

} // namespace enso::verify
