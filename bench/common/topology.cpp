#include "bench/common/topology.hpp"

#include "hvcore/core/domain_table.hpp"
#include "hvcore/core/limits.hpp"

#include <xen/event_channel.h>
#include <xen/grant_table.h>

#include <fstream>

namespace enso::bench {

nlohmann::json topology_of(kvm::Monitor& monitor) {
    return monitor.with_core([](core::Core& core, core::Dispatcher&) {
        const auto& s = core.state();
        nlohmann::json domains = nlohmann::json::array();
        nlohmann::json grants = nlohmann::json::array();
        nlohmann::json channels = nlohmann::json::array();
        for (std::uint16_t d = 0; d < core::kMaxDomains; ++d) {
            if (s.doms.state.get(d) == core::kDomFree) {
                continue;
            }
            domains.push_back({{"id", d},
                               {"name", d == 0 ? "dom0 (monitor)" : "guest " + std::to_string(d)},
                               {"frames", s.doms.tot_pages.get(d)}});
            // Grants the domain offers, from its grant-table frames (v1
            // entries), and whether someone maps them now.
            for (std::uint32_t i = 0; i < s.doms.gnttab_nr_frames.get(d); ++i) {
                const auto frame =
                    s.doms.gnttab_frame.get(core::gnttab_frame_index<core::Concrete>(d, i));
                for (std::uint32_t slot = 0; slot < 512; ++slot) {
                    const auto word = s.mem.load64(frame, slot);
                    const auto flags = static_cast<std::uint16_t>(word & 0xffff);
                    if ((flags & GTF_type_mask) != GTF_permit_access) {
                        continue;
                    }
                    const std::uint32_t ref = i * 512 + slot;
                    const auto gi = core::grant_index<core::Concrete>(d, ref);
                    const bool mapped =
                        s.grants.act_readers.get(gi) + s.grants.act_writers.get(gi) > 0;
                    grants.push_back({{"granter", d},
                                      {"grantee", static_cast<std::uint16_t>(word >> 16)},
                                      {"ref", ref},
                                      {"readonly", (flags & GTF_readonly) != 0},
                                      {"mapped", mapped}});
                }
            }
            for (std::uint32_t port = 1; port < core::kMaxPorts; ++port) {
                const auto pi = core::port_index<core::Concrete>(d, port);
                if (s.evtchn.state.get(pi) != EVTCHNSTAT_interdomain) {
                    continue;
                }
                channels.push_back({{"domain", d},
                                    {"port", port},
                                    {"remote_domain", s.evtchn.remote_dom.get(pi)},
                                    {"remote_port", s.evtchn.remote_port.get(pi)}});
            }
        }
        return nlohmann::json{
            {"domains", domains}, {"grants", grants}, {"event_channels", channels}};
    });
}

void write_topology_beside_results(int argc, char** argv, kvm::Monitor& monitor) {
    const std::string flag = "--benchmark_out=";
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a.rfind(flag, 0) == 0) {
            std::ofstream(a.substr(flag.size()) + ".topology.json")
                << topology_of(monitor).dump(2) << '\n';
        }
    }
}

} // namespace enso::bench
