#include "verify/handler_proof.hpp"

#include <chrono>
#include <cstdio>
#include <set>

namespace enso::verify {

namespace {

// Index terms by width: frames and array indices (32), slots (9), domains (16).
struct Terms {
    std::vector<z3::expr> frames, slots, doms;
    std::set<unsigned> seen;

    void add(const z3::expr& e) {
        if (!seen.insert(e.id()).second) {
            return;
        }
        const unsigned w = e.get_sort().bv_size();
        (w == 32 ? frames : w == 9 ? slots : doms).push_back(e);
    }
};

// Every index of a select or store, and every 16-bit term, in e.
void collect(const z3::expr& e, Terms& out, std::set<unsigned>& visited) {
    if (!visited.insert(e.id()).second || !e.is_app()) {
        return;
    }
    const auto kind = e.decl().decl_kind();
    if ((kind == Z3_OP_SELECT || kind == Z3_OP_STORE) && e.num_args() >= 2) {
        const z3::expr idx = e.arg(1);
        if (idx.is_bv() && (idx.get_sort().bv_size() == 32 || idx.get_sort().bv_size() == 9)) {
            out.add(idx);
        }
    }
    if (e.is_bv() && e.get_sort().bv_size() == 16) {
        out.add(e);
    }
    for (unsigned k = 0; k < e.num_args(); ++k) {
        collect(e.arg(k), out, visited);
    }
}

// All instances of inv over the candidate terms.
void instantiate(const Invariant& inv, const SState& s, const Terms& t, z3::expr_vector& out) {
    std::vector<z3::expr> none;
    const auto& fs = inv.frames > 0 ? t.frames : none;
    const auto& ss = inv.slots > 0 ? t.slots : none;
    const auto& ds = inv.doms > 0 ? t.doms : none;
    const z3::expr unused = sym_ctx().bv_val(0, 1);
    for (std::size_t a = 0; a < (inv.frames > 0 ? fs.size() : 1); ++a) {
        for (std::size_t b = 0; b < (inv.slots > 0 ? ss.size() : 1); ++b) {
            for (std::size_t c = 0; c < (inv.doms > 0 ? ds.size() : 1); ++c) {
                Binders binders;
                if (inv.frames > 0) {
                    binders.frames.push_back(fs[a]);
                }
                if (inv.slots > 0) {
                    binders.slots.push_back(ss[b]);
                }
                if (inv.doms > 0) {
                    binders.doms.push_back(ds[c]);
                }
                out.push_back(inv.body(s, binders));
            }
        }
    }
    (void)unused;
}

Binders skolems(const Invariant& inv) {
    auto& c = sym_ctx();
    Binders b;
    for (unsigned k = 0; k < inv.frames; ++k) {
        b.frames.push_back(c.bv_const(("cx_frame" + std::to_string(k)).c_str(), 32));
    }
    for (unsigned k = 0; k < inv.slots; ++k) {
        b.slots.push_back(c.bv_const(("cx_slot" + std::to_string(k)).c_str(), 9));
    }
    for (unsigned k = 0; k < inv.doms; ++k) {
        b.doms.push_back(c.bv_const(("cx_dom" + std::to_string(k)).c_str(), 16));
    }
    return b;
}

} // namespace

ProofResult prove_keeps_invariants(const std::function<void(SState&)>& handler,
                                   const ProofOptions& options) {
    ProofResult result;
    const auto start = std::chrono::steady_clock::now();
    Explorer explorer(sym_ctx());
    result.paths = explorer.explore(
        [&] {
            const SState before = make_symbolic_state();
            SState after = before;
            handler(after);
            const z3::expr pc = explorer.path_condition();
            for (const auto& inv : structural_invariants()) {
                const z3::expr goal = !inv.body(after, skolems(inv));
                Terms terms;
                std::set<unsigned> visited;
                collect(goal && pc, terms, visited);
                for (int round = 0; round < 2; ++round) {
                    z3::expr_vector inst(sym_ctx());
                    for (const auto& pre : structural_invariants()) {
                        instantiate(pre, before, terms, inst);
                    }
                    for (const auto& pre : refcount_coverage()) {
                        instantiate(pre, before, terms, inst);
                    }
                    if (round == 1) {
                        z3::solver solver(sym_ctx());
                        z3::params p(sym_ctx());
                        p.set("timeout", options.timeout_ms);
                        solver.set(p);
                        solver.add(pc);
                        solver.add(goal);
                        for (unsigned k = 0; k < inst.size(); ++k) {
                            solver.add(inst[k]);
                        }
                        const auto t0 = std::chrono::steady_clock::now();
                        const auto r = solver.check();
                        ++result.queries;
                        if (options.trace) {
                            std::fprintf(
                                stderr, "  path %zu %-24s %-7s %zu instances %.3fs\n", result.paths,
                                inv.name.c_str(),
                                r == z3::unsat ? "unsat" : (r == z3::sat ? "SAT" : "unknown"),
                                static_cast<std::size_t>(inst.size()),
                                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
                                    .count());
                        }
                        if (r == z3::sat) {
                            result.failures.push_back({inv.name, solver.get_model().to_string()});
                        } else if (r == z3::unknown) {
                            result.failures.push_back(
                                {inv.name, "unknown: " + solver.reason_unknown()});
                        }
                        break;
                    }
                    // Terms the first instances mention join the candidates.
                    for (unsigned k = 0; k < inst.size(); ++k) {
                        collect(inst[k], terms, visited);
                    }
                }
            }
        },
        options.max_paths);
    result.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
}

} // namespace enso::verify
