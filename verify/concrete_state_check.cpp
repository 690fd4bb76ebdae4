// The symbolic invariants on a concrete state (concrete_state_check.hpp).
#include "verify/concrete_state_check.hpp"

#include "hvcore/core/concrete_domain.hpp"
#include "verify/state_view.hpp"
#include "verify/symbolic_invariants.hpp"
#include "verify/symbolic_state.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
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
        {"doms.gnttab_status", [](const CState& s) { return values(s.doms.gnttab_status); }},
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

// An array over `index_bits`-bit indices holding `v` (zero elsewhere), as a
// lambda over runs of equal values: a frame table is mostly long runs (a
// domain's frames in a row), and z3 bit-blasts a few range tests where a
// chain of stores over a constant array took it minutes.
z3::expr runs_of(const Values& v, unsigned index_bits, unsigned value_bits) {
    auto& c = sym_ctx();
    const z3::expr i = c.bv_const("concrete_index", index_bits);
    z3::expr body = c.bv_val(0, value_bits);
    std::size_t k = v.size();
    while (k > 0) {
        const std::size_t hi = k - 1;
        std::size_t lo = hi;
        while (lo > 0 && v[lo - 1] == v[hi]) {
            --lo;
        }
        if (v[hi] != 0) {
            const z3::expr in = lo == hi ? i == c.bv_val(lo, index_bits)
                                         : z3::uge(i, c.bv_val(lo, index_bits)) &&
                                               z3::ule(i, c.bv_val(hi, index_bits));
            body = z3::ite(in, c.bv_val(v[hi], value_bits), body);
        }
        k = lo;
    }
    return z3::lambda(i, body);
}

z3::expr array_of(const z3::expr& like, const Values& v) {
    return runs_of(v, kIndexBits, like.get_sort().array_range().bv_size());
}

// Machine memory: frame -> word -> value; each frame with a word that is not
// zero is a lambda of its own. Only the frames the invariants read: page
// tables and the frames the core shares with a domain (shared_info, grant
// table); a guest's plain memory is no part of any invariant, and its
// contents (code, data) would make every query over words large.
z3::expr memory_of(const CState& s) {
    auto& c = sym_ctx();
    const z3::expr f = c.bv_const("concrete_frame", 32);
    z3::expr body = z3::const_array(c.bv_sort(9), c.bv_val(0, 64));
    for (std::uint32_t k = s.nr_frames; k-- > 0;) {
        const bool table =
            s.frames.type.get(k) >= core::kTypeL1 && s.frames.type.get(k) <= core::kTypeL4;
        if (!table && (s.frames.flags.get(k) & core::kFrameXenRef) == 0) {
            continue;
        }
        Values words(core::kEntriesPerTable);
        bool any = false;
        for (std::uint32_t w = 0; w < core::kEntriesPerTable; ++w) {
            words[w] = s.mem.load64(k, w);
            any = any || words[w] != 0;
        }
        if (any) {
            body = z3::ite(f == c.bv_val(k, 32), runs_of(words, 9, 64), body);
        }
    }
    return z3::lambda(f, body);
}

// The grant-PTE witness: each word a grant map installed names its
// maptrack entry (what the ownership rule's existential asks for).
z3::expr witness_of(const CState& s) {
    auto& c = sym_ctx();
    std::map<std::uint32_t, Values> frames;
    for (std::uint32_t mi = 0; mi < s.grants.map_flags.size(); ++mi) {
        const unsigned pte_map = core::kMapInUse | core::kMapPte;
        if ((s.grants.map_flags.get(mi) & pte_map) != pte_map) {
            continue;
        }
        const std::uint64_t maddr = s.grants.map_host_addr.get(mi);
        auto& words = frames
                          .try_emplace(static_cast<std::uint32_t>(maddr >> core::kPageShift),
                                       Values(core::kEntriesPerTable))
                          .first->second;
        words[(maddr >> 3) & 511U] = mi;
    }
    const z3::expr f = c.bv_const("concrete_frame", 32);
    z3::expr body = z3::const_array(c.bv_sort(9), c.bv_val(0, 32));
    for (const auto& [frame, words] : frames) {
        body = z3::ite(f == c.bv_val(frame, 32), runs_of(words, 9, 32), body);
    }
    return z3::lambda(f, body);
}

// The frames memory_of keeps.
std::vector<std::uint32_t> memory_frames(const CState& s) {
    std::vector<std::uint32_t> out;
    for (std::uint32_t k = 0; k < s.nr_frames; ++k) {
        const auto t = s.frames.type.get(k);
        if ((t >= core::kTypeL1 && t <= core::kTypeL4) ||
            (s.frames.flags.get(k) & core::kFrameXenRef) != 0) {
            out.push_back(k);
        }
    }
    return out;
}

// One check; if the QF_AUFBV solver gives up ("incomplete (theory
// array)"), z3's default solver checks the same query.
z3::check_result check_one(z3::solver& solver, const z3::expr_vector& assume) {
    const z3::check_result r = solver.check(assume);
    if (r != z3::unknown) {
        return r;
    }
    z3::solver general(sym_ctx());
    for (const auto& a : solver.assertions()) {
        general.add(a);
    }
    return general.check(assume);
}

// A page-table word invariant is checked word by word over the words kept
// that are not zero, then for the other words of each such frame, then for
// every other frame at once: one query over all of memory took z3 minutes,
// one per word milliseconds.
z3::check_result check_split(z3::solver& solver, const Invariant& inv,
                             const std::vector<z3::expr>& binders, const CState& s) {
    auto& c = sym_ctx();
    if (inv.instances != Instances::PerWord) {
        return check_one(solver, z3::expr_vector(c));
    }
    z3::expr others = c.bool_val(true);
    for (const std::uint32_t k : memory_frames(s)) {
        const z3::expr at = binders[0] == c.bv_val(k, 32);
        others = others && !at;
        z3::expr zero_words = at;
        for (std::uint32_t w = 0; w < core::kEntriesPerTable; ++w) {
            if (s.mem.load64(k, w) == 0) {
                continue;
            }
            const z3::expr word = binders[1] == c.bv_val(w, 9);
            zero_words = zero_words && !word;
            z3::expr_vector assume(c);
            assume.push_back(at && word);
            if (const auto r = check_one(solver, assume); r != z3::unsat) {
                return r;
            }
        }
        z3::expr_vector assume(c);
        assume.push_back(zero_words);
        if (const auto r = check_one(solver, assume); r != z3::unsat) {
            return r;
        }
    }
    z3::expr_vector assume(c);
    assume.push_back(others);
    return check_one(solver, assume);
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
        const auto t0 = std::chrono::steady_clock::now();
        const z3::check_result result = check_split(solver, inv, binders, s);
        if (std::getenv("ENSO_VERIFY_TRACE") != nullptr) {
            std::fprintf(
                stderr, "  concrete state: %-40s %.3fs\n", inv.name.c_str(),
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        }
        switch (result) {
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
