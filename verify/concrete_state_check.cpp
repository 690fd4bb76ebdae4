// The symbolic invariants on a concrete state (concrete_state_check.hpp).
#include "verify/concrete_state_check.hpp"

#include "hvcore/core/concrete_domain.hpp"
#include "verify/state_view.hpp"
#include "verify/symbolic_invariants.hpp"
#include "verify/symbolic_state.hpp"

#include <functional>
#include <map>
#include <stdexcept>

namespace enso::verify {

namespace {

using CState = core::State<core::Concrete>;
using Values = std::vector<std::uint64_t>;

template <class T>
Values values(const core::FlatArray<T>& a) {
    Values out(a.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        out[i] = a.get(i);
    }
    return out;
}

// Each array field of the state by the name make_symbolic_state() gives it.
using Field = std::function<Values(const CState&)>;
const std::map<std::string, Field>& concrete_fields() {
    static const std::map<std::string, Field> fields = {
        {"frames.owner", [](const CState& s) { return values(s.frames.owner); }},
        {"frames.count", [](const CState& s) { return values(s.frames.count); }},
        {"frames.type", [](const CState& s) { return values(s.frames.type); }},
        {"frames.type_count", [](const CState& s) { return values(s.frames.type_count); }},
        {"frames.flags", [](const CState& s) { return values(s.frames.flags); }},
        {"doms.state", [](const CState& s) { return values(s.doms.state); }},
        {"doms.tot_pages", [](const CState& s) { return values(s.doms.tot_pages); }},
        {"doms.max_pages", [](const CState& s) { return values(s.doms.max_pages); }},
        {"doms.baseptr", [](const CState& s) { return values(s.doms.baseptr); }},
        {"doms.shared_info", [](const CState& s) { return values(s.doms.shared_info); }},
        {"doms.gnttab_nr_frames", [](const CState& s) { return values(s.doms.gnttab_nr_frames); }},
        {"doms.gnttab_frame", [](const CState& s) { return values(s.doms.gnttab_frame); }},
        {"doms.shutdown_code", [](const CState& s) { return values(s.doms.shutdown_code); }},
        {"doms.effects", [](const CState& s) { return values(s.doms.effects); }},
        {"doms.invlpg_va", [](const CState& s) { return values(s.doms.invlpg_va); }},
        {"grants.act_readers", [](const CState& s) { return values(s.grants.act_readers); }},
        {"grants.act_writers", [](const CState& s) { return values(s.grants.act_writers); }},
        {"grants.act_frame", [](const CState& s) { return values(s.grants.act_frame); }},
        {"grants.act_grantee", [](const CState& s) { return values(s.grants.act_grantee); }},
        {"grants.map_flags", [](const CState& s) { return values(s.grants.map_flags); }},
        {"grants.map_granter", [](const CState& s) { return values(s.grants.map_granter); }},
        {"grants.map_ref", [](const CState& s) { return values(s.grants.map_ref); }},
        {"grants.map_host_addr", [](const CState& s) { return values(s.grants.map_host_addr); }},
        {"evtchn.state", [](const CState& s) { return values(s.evtchn.state); }},
        {"evtchn.remote_dom", [](const CState& s) { return values(s.evtchn.remote_dom); }},
        {"evtchn.remote_port", [](const CState& s) { return values(s.evtchn.remote_port); }},
    };
    return fields;
}

// An array of the sort of `like` holding `v` (zero elsewhere).
z3::expr array_of(const z3::expr& like, const Values& v) {
    auto& c = sym_ctx();
    const unsigned bits = like.get_sort().array_range().bv_size();
    z3::expr a = z3::const_array(c.bv_sort(kIndexBits), c.bv_val(0, bits));
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (v[i] != 0) {
            a = z3::store(a, c.bv_val(i, kIndexBits), c.bv_val(v[i], bits));
        }
    }
    return a;
}

// Machine memory: frame -> word -> value, only the words that are not zero.
z3::expr memory_of(const CState& s) {
    auto& c = sym_ctx();
    const z3::expr zero_frame = z3::const_array(c.bv_sort(9), c.bv_val(0, 64));
    z3::expr m = z3::const_array(c.bv_sort(32), zero_frame);
    for (std::uint32_t f = 0; f < s.nr_frames; ++f) {
        z3::expr frame = zero_frame;
        bool any = false;
        for (std::uint32_t w = 0; w < core::kEntriesPerTable; ++w) {
            if (const auto x = s.mem.load64(f, w); x != 0) {
                frame = z3::store(frame, c.bv_val(w, 9), c.bv_val(x, 64));
                any = true;
            }
        }
        if (any) {
            m = z3::store(m, c.bv_val(f, 32), frame);
        }
    }
    return m;
}

// The grant-PTE witness: each word a grant map installed names its
// maptrack entry (what the ownership rule's existential asks for).
z3::expr witness_of(const CState& s) {
    auto& c = sym_ctx();
    const z3::expr none = z3::const_array(c.bv_sort(9), c.bv_val(0, 32));
    std::map<std::uint32_t, z3::expr> frames;
    for (std::uint32_t mi = 0; mi < s.grants.map_flags.size(); ++mi) {
        const unsigned pte_map = core::kMapInUse | core::kMapPte;
        if ((s.grants.map_flags.get(mi) & pte_map) != pte_map) {
            continue;
        }
        const std::uint64_t maddr = s.grants.map_host_addr.get(mi);
        const auto f = static_cast<std::uint32_t>(maddr >> core::kPageShift);
        const auto slot = static_cast<std::uint32_t>((maddr >> 3) & 511U);
        auto at = frames.try_emplace(f, none).first;
        at->second = z3::store(at->second, c.bv_val(slot, 9), c.bv_val(mi, 32));
    }
    z3::expr w = z3::const_array(c.bv_sort(32), none);
    for (const auto& [f, words] : frames) {
        w = z3::store(w, c.bv_val(f, 32), words);
    }
    return w;
}

} // namespace

std::vector<ConcreteInvariantCheck> check_symbolic_invariants(const CState& s) {
    const FreshContext context;
    auto& c = sym_ctx();
    const SState sym = make_symbolic_state();
    const z3::expr witness = make_pte_witness();
    z3::expr_vector from(c);
    z3::expr_vector to(c);
    for (const auto& [name, a] : state_arrays(sym)) {
        from.push_back(a);
        if (name == "mem") {
            to.push_back(memory_of(s));
            continue;
        }
        const auto field = concrete_fields().find(name);
        if (field == concrete_fields().end()) {
            throw std::logic_error("concrete_state_check: no concrete field for " + name);
        }
        to.push_back(array_of(a, field->second(s)));
    }
    from.push_back(sym.nr_frames.expr());
    to.push_back(c.bv_val(s.nr_frames, 32));
    from.push_back(witness);
    to.push_back(witness_of(s));

    const StateView view(sym, witness, bv(StateView::kNoDomain, 32));
    std::vector<ConcreteInvariantCheck> out;
    for (const auto& inv : state_invariants()) {
        std::vector<z3::expr> binders;
        for (std::size_t k = 0; k < inv.binders.size(); ++k) {
            binders.push_back(
                c.bv_const(("b" + std::to_string(k)).c_str(), index_bits(inv.binders[k])));
        }
        z3::expr body = inv.body(view, binders);
        z3::solver solver(c, "QF_AUFBV");
        solver.add(!body.substitute(from, to));
        ConcreteInvariantCheck r;
        r.invariant = inv.name;
        switch (solver.check()) {
        case z3::unsat:
            r.holds = true;
            break;
        case z3::sat: {
            const z3::model m = solver.get_model();
            for (std::size_t k = 0; k < binders.size(); ++k) {
                r.detail += std::string(k == 0 ? "" : ", ") + index_class_name(inv.binders[k]) +
                            " " + m.eval(binders[k], true).to_string();
            }
            break;
        }
        case z3::unknown:
            r.detail = "unknown: " + solver.reason_unknown();
            break;
        }
        out.push_back(std::move(r));
    }
    return out;
}

} // namespace enso::verify
