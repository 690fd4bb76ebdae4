#include "verify/model_reader.hpp"

#include "hvcore/core/limits.hpp"

#include <set>

namespace enso::verify {

namespace {

class Reader {
public:
    Reader(const z3::model& m, const SState& s) : m_(m), s_(s) {}

    [[nodiscard]] std::uint64_t value(const z3::expr& e) const {
        const z3::expr v = m_.eval(e, true);
        if (v.is_bool()) {
            return v.is_true() ? 1 : 0;
        }
        std::uint64_t out = 0;
        return v.is_numeral_u64(out) ? out : 0;
    }
    template <class A>
    [[nodiscard]] std::uint64_t at(const A& array, std::uint64_t i) const {
        return value(z3::select(array.expr(), sym_ctx().bv_val(i, 32)));
    }
    [[nodiscard]] std::uint64_t word(std::uint64_t f, std::uint64_t slot) const {
        return value(s_.mem.word(sym_ctx().bv_val(f, 32), sym_ctx().bv_val(slot, 9)));
    }

private:
    const z3::model& m_;
    const SState& s_;
};

template <class T>
T narrow(std::uint64_t v) {
    return static_cast<T>(v);
}

} // namespace

Counterexample read_model(const z3::model& model, const SState& s, const IndexTerms& terms,
                          const HandlerSpec& spec, const Args<Symbolic>& args,
                          const std::vector<std::pair<std::string, z3::expr>>& binders) {
    const Reader r(model, s);
    Counterexample c;
    c.handler = spec.name;
    c.nr_frames = narrow<std::uint32_t>(r.value(s.nr_frames.expr()));
    for (std::size_t i = 0; i < spec.args.size(); ++i) {
        c.args.emplace_back(spec.args[i].name, r.value(args.raw(i)));
    }
    for (const auto& [name, e] : binders) {
        c.binders.emplace_back(name, r.value(e));
    }

    std::set<std::uint64_t> frames, doms, gframes, grants, maps, ports;
    auto values = [&](IndexClass k, std::set<std::uint64_t>& out, std::uint64_t limit) {
        for (const auto& t : terms.of(k)) {
            const auto v = r.value(t);
            if (v < limit) {
                out.insert(v);
            }
        }
    };
    values(IndexClass::Frame, frames, c.nr_frames);
    values(IndexClass::Dom, doms, core::kMaxDomains);
    values(IndexClass::GrantFrame, gframes, core::kMaxDomains << core::kGrantFrameBits);
    values(IndexClass::Grant, grants, 1U << 16);
    values(IndexClass::Map, maps, core::kMaxDomains << core::kMaptrackBits);
    values(IndexClass::Port, ports, core::kMaxDomains << core::kPortBits);
    for (const auto& [t, i] : terms.entries()) {
        const auto f = r.value(t);
        if (f < c.nr_frames) {
            c.words[{narrow<std::uint32_t>(f), narrow<std::uint32_t>(r.value(i))}] =
                r.word(f, r.value(i));
            frames.insert(f);
        }
    }

    for (const auto f : frames) {
        FrameRecord fr;
        fr.owner = narrow<std::uint16_t>(r.at(s.frames.owner, f));
        fr.count = narrow<std::uint32_t>(r.at(s.frames.count, f));
        fr.type = narrow<std::uint8_t>(r.at(s.frames.type, f));
        fr.type_count = narrow<std::uint32_t>(r.at(s.frames.type_count, f));
        fr.flags = narrow<std::uint8_t>(r.at(s.frames.flags, f));
        if (fr.flags != 0 && fr.owner < core::kMaxDomains) {
            doms.insert(fr.owner);
        }
        c.frames[narrow<std::uint32_t>(f)] = fr;
    }
    for (const auto gi : grants) {
        GrantRecord g;
        g.readers = narrow<std::uint32_t>(r.at(s.grants.act_readers, gi));
        g.writers = narrow<std::uint32_t>(r.at(s.grants.act_writers, gi));
        g.frame = narrow<std::uint32_t>(r.at(s.grants.act_frame, gi));
        g.grantee = narrow<std::uint16_t>(r.at(s.grants.act_grantee, gi));
        doms.insert(gi >> core::kGrantRefBits);
        c.grants[narrow<std::uint32_t>(gi)] = g;
    }
    for (const auto mi : maps) {
        MapRecord m;
        m.flags = narrow<std::uint8_t>(r.at(s.grants.map_flags, mi));
        m.granter = narrow<std::uint16_t>(r.at(s.grants.map_granter, mi));
        m.ref = narrow<std::uint32_t>(r.at(s.grants.map_ref, mi));
        m.host_addr = r.at(s.grants.map_host_addr, mi);
        if ((m.flags & 1U) != 0) {
            doms.insert(mi >> core::kMaptrackBits);
            if (m.granter < core::kMaxDomains) {
                doms.insert(m.granter);
            }
        }
        c.maps[narrow<std::uint32_t>(mi)] = m;
    }
    for (const auto pi : ports) {
        PortRecord p;
        p.state = narrow<std::uint8_t>(r.at(s.evtchn.state, pi));
        p.remote_dom = narrow<std::uint16_t>(r.at(s.evtchn.remote_dom, pi));
        p.remote_port = narrow<std::uint32_t>(r.at(s.evtchn.remote_port, pi));
        if (p.state != 0) {
            doms.insert(pi >> core::kPortBits);
        }
        c.ports[narrow<std::uint32_t>(pi)] = p;
    }
    for (const auto d : doms) {
        DomRecord dr;
        dr.state = narrow<std::uint8_t>(r.at(s.doms.state, d));
        dr.tot_pages = narrow<std::uint32_t>(r.at(s.doms.tot_pages, d));
        dr.max_pages = narrow<std::uint32_t>(r.at(s.doms.max_pages, d));
        dr.baseptr = narrow<std::uint32_t>(r.at(s.doms.baseptr, d));
        dr.shared_info = narrow<std::uint32_t>(r.at(s.doms.shared_info, d));
        dr.gnttab_nr_frames = narrow<std::uint8_t>(r.at(s.doms.gnttab_nr_frames, d));
        dr.gnttab_status = narrow<std::uint32_t>(r.at(s.doms.gnttab_status, d));
        c.doms[narrow<std::uint32_t>(d)] = dr;
        for (std::uint32_t i = 0; i < dr.gnttab_nr_frames && i < core::kMaxGrantFrames; ++i) {
            gframes.insert((d << core::kGrantFrameBits) | i);
        }
    }
    for (const auto g : gframes) {
        c.gnttab_frames[narrow<std::uint32_t>(g)] =
            narrow<std::uint32_t>(r.at(s.doms.gnttab_frame, g));
    }
    return c;
}

} // namespace enso::verify
