// A counterexample as plain data: the handler's arguments and the part of
// the pre-state a failed query mentions, read from the solver's model. It
// outlives the z3 context, serializes to JSON, and is what the concrete
// replay builds a machine from.
#pragma once

#include "hvcore/core/limits.hpp"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace enso::verify {

struct FrameRecord {
    std::uint16_t owner = 0;
    std::uint32_t count = 0;
    std::uint8_t type = 0;
    std::uint32_t type_count = 0;
    std::uint8_t flags = 0;
};

struct DomRecord {
    std::uint8_t state = 0;
    std::uint32_t tot_pages = 0;
    std::uint32_t max_pages = 0;
    std::uint32_t baseptr = 0;
    std::uint32_t shared_info = 0;
    std::uint8_t gnttab_nr_frames = 0;
    std::uint32_t gnttab_status = core::kNoFrame; // v2's status frame
};

struct GrantRecord {
    std::uint32_t readers = 0;
    std::uint32_t writers = 0;
    std::uint32_t frame = 0;
    std::uint16_t grantee = 0;
};

struct MapRecord {
    std::uint8_t flags = 0;
    std::uint16_t granter = 0;
    std::uint32_t ref = 0;
    std::uint64_t host_addr = 0;
};

struct PortRecord {
    std::uint8_t state = 0;
    std::uint16_t remote_dom = 0;
    std::uint32_t remote_port = 0;
};

struct Counterexample {
    std::string handler;
    std::string invariant;           // the symbolic invariant or count family that failed
    std::vector<std::string> checks; // the concrete checks that must report it
    std::size_t path = 0;
    std::vector<std::pair<std::string, std::uint64_t>> args;
    std::vector<std::pair<std::string, std::uint64_t>> binders; // where it breaks
    std::uint32_t nr_frames = 0;
    bool small = false; // the solver found one on a machine small enough to build
    // Every count of the recorded state is accounted for by recorded objects
    // (else the replay recomputes counts, and may not follow the same path).
    bool closed_world = false;
    std::map<std::uint32_t, FrameRecord> frames;
    std::map<std::pair<std::uint32_t, std::uint32_t>, std::uint64_t> words;
    std::map<std::uint32_t, DomRecord> doms;
    std::map<std::uint32_t, std::uint32_t> gnttab_frames; // (dom << 2) | i -> frame
    std::map<std::uint32_t, GrantRecord> grants;          // (granter << 11) | ref
    std::map<std::uint32_t, MapRecord> maps;              // (grantee << 10) | handle
    std::map<std::uint32_t, PortRecord> ports;            // (dom << 10) | port
};

void to_json(nlohmann::json& j, const Counterexample& c);

} // namespace enso::verify
