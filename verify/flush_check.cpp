// The owed-TLB-flush rule on one concrete call (flush_check.hpp).
#include "verify/flush_check.hpp"

#include "hvcore/core/frame_refs.hpp"

#include <string>

namespace enso::verify {

namespace {

using namespace core;
using C = Concrete;

bool live(const CState& s, std::uint16_t x) {
    return x < kMaxDomains && s.doms.state.get(x) == kDomLive;
}

bool flushed(const CState& s, std::uint16_t x) {
    return (s.doms.effects.get(x) & kEffectTlbFlush) != 0;
}

bool validated_table(const CState& s, std::uint32_t f) {
    return is_pagetable_type<C>(s.frames.type.get(f)) && frame_has<C>(s, f, kFrameValidated);
}

// What x reaches of a frame it owns, before and after, as flush_goals.hpp.
bool frame_withdrawn(const CState& before, const CState& after, std::uint32_t f, std::uint16_t x) {
    const auto was = before.frames.type.get(f);
    const auto now = after.frames.type.get(f);
    return !owned_by<C>(after, f, x) || (was == kTypeWritable && now != kTypeWritable) ||
           (validated_table(before, f) && !(validated_table(after, f) && now == was));
}

bool pte_map(const CState& s, std::uint32_t mi) {
    const auto fl = s.grants.map_flags.get(mi);
    return (fl & kMapInUse) != 0 && (fl & kMapPte) != 0;
}

std::uint32_t map_frame(const CState& s, std::uint32_t mi) {
    return s.grants.act_frame.get(
        grant_index<C>(s.grants.map_granter.get(mi), s.grants.map_ref.get(mi)));
}

bool map_withdrawn(const CState& before, const CState& after, std::uint32_t mi) {
    const bool was_rw = (before.grants.map_flags.get(mi) & kMapReadonly) == 0;
    const bool now_rw = (after.grants.map_flags.get(mi) & kMapReadonly) == 0;
    return !pte_map(after, mi) || map_frame(after, mi) != map_frame(before, mi) ||
           (was_rw && !now_rw);
}

Violation owed(std::string detail, std::vector<std::uint32_t> frames, std::uint16_t x) {
    return {"flush/owed", std::move(detail), std::move(frames), {x}};
}

} // namespace

std::vector<Violation> check_owed_flushes(const CState& before, const CState& after) {
    std::vector<Violation> out;
    for (std::uint32_t f = 0; f < before.nr_frames; ++f) {
        const auto x = before.frames.owner.get(f);
        if (owned_by<C>(before, f, x) && live(after, x) && !flushed(after, x) &&
            frame_withdrawn(before, after, f, x)) {
            out.push_back(owed("frame " + std::to_string(f) + " of domain " + std::to_string(x) +
                                   " left it or lost its type " +
                                   std::to_string(before.frames.type.get(f)) + " (now " +
                                   std::to_string(after.frames.type.get(f)) +
                                   ") without a TLB flush of the domain",
                               {f}, x));
        }
    }
    for (std::uint16_t x = 0; x < kMaxDomains; ++x) {
        if (!live(after, x) || flushed(after, x)) {
            continue;
        }
        for (std::uint32_t h = 0; h < kMaxMaptrack; ++h) {
            const auto mi = maptrack_index<C>(x, h);
            if (pte_map(before, mi) && map_withdrawn(before, after, mi)) {
                out.push_back(owed("grant map " + std::to_string(h) + " of domain " +
                                       std::to_string(x) + " (frame " +
                                       std::to_string(map_frame(before, mi)) +
                                       ") ended or lost writing without a TLB flush of the domain",
                                   {map_frame(before, mi)}, x));
            }
        }
    }
    for (std::uint16_t x = 0; x < kMaxDomains; ++x) {
        if (live(before, x) && live(after, x) && flushed(before, x) && !flushed(after, x)) {
            out.push_back({"flush/kept",
                           "domain " + std::to_string(x) + " lost a TLB flush it was owed",
                           {},
                           {x}});
        }
    }
    return out;
}

} // namespace enso::verify
