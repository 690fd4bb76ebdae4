#include "verify/handler_proof.hpp"

#include "verify/index_terms.hpp"
#include "verify/model_reader.hpp"
#include "verify/path_explorer.hpp"
#include "verify/reference_counts.hpp"
#include "verify/state_writes.hpp"
#include "verify/symbolic_domain.hpp"
#include "verify/symbolic_invariants.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <optional>
#include <set>

namespace enso::verify {

namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

// z3's resource count so far (ProofResult::solver_work).
double work_done(const z3::solver& solver) {
    const z3::stats st = solver.statistics();
    for (unsigned k = 0; k < st.size(); ++k) {
        if (st.key(k) == "rlimit count") {
            return st.is_uint(k) ? st.uint_value(k) : st.double_value(k);
        }
    }
    return 0;
}

// Fresh constants for an invariant's binders: the would-be counterexample.
struct Skolems {
    std::vector<z3::expr> vars;
    std::vector<std::pair<std::string, z3::expr>> named;
};

Skolems make_skolems(const std::vector<IndexClass>& classes) {
    Skolems s;
    std::array<unsigned, kIndexClasses> n{};
    for (const auto c : classes) {
        const std::string name =
            std::string(index_class_name(c)) + std::to_string(n[static_cast<std::size_t>(c)]++);
        s.vars.push_back(sym_ctx().bv_const(("sk." + name).c_str(), index_bits(c)));
        s.named.emplace_back(name, s.vars.back());
    }
    return s;
}

// Paths that end in one post-state: what prove_handler proves once.
struct EndState {
    SState after;
    std::vector<unsigned> key;       // the ids of its arrays
    z3::expr first_condition;        // the first path's whole condition
    std::vector<z3::expr> decisions; // each path's own decisions
    std::vector<std::size_t> paths;
};

constexpr std::array<ObjectKind, 6> kKinds = {ObjectKind::FrameHolds, ObjectKind::Baseptr,
                                              ObjectKind::Entry,      ObjectKind::ActiveGrant,
                                              ObjectKind::Maptrack,   ObjectKind::OwnedFrame};

// One path's queries.
class PathProver {
public:
    PathProver(const HandlerSpec& spec, const ProofOptions& opt, ProofResult& result,
               const SState& before, const SState& after, const z3::expr& witness,
               const Args<Symbolic>& args, z3::expr pc, std::size_t path)
        : spec_(spec), opt_(opt), result_(result), before_(before), args_(args), pc_(std::move(pc)),
          path_(path), writes_(diff_states(before, after)),
          pre_(before, witness, destroying(spec.phase_before, args)),
          post_(after, witness, destroying(spec.phase_after, args)) {
        post_.extra_witnesses = writes_.of("grants.map_flags");
        for (const auto k : kKinds) {
            changed_.push_back(writes_.changed(k));
        }
    }

    // The arrays the path stored to but, under its condition and the
    // pre-state invariants, left as they were (a pin taken and dropped
    // again, a flag set and cleared). Restored to the pre-state, the
    // invariants that read only them are no goals of the path.
    std::set<std::string> unchanged_arrays() {
        std::set<std::string> out;
        const auto pre = state_arrays(before_);
        const auto post = state_arrays(post_.state());
        Incremental inc = incremental();
        for (std::size_t k = 0; k < pre.size(); ++k) {
            const auto& [name, a] = pre[k];
            // Memory counts as unchanged only if no frame was replaced whole
            // and every word stored holds its old value again.
            if (!writes_.wrote(name) || (name == "mem" && !writes_.whole_frames.empty())) {
                continue;
            }
            z3::expr differs = sym_ctx().bool_val(false);
            if (name == "mem") {
                for (const auto& [f, w] : writes_.words) {
                    differs = differs || post_.word(f, w) != pre_.word(f, w);
                }
            } else {
                for (const auto& i : writes_.of(name)) {
                    differs = differs || z3::select(post[k].second, i) != z3::select(a, i);
                }
            }
            z3::expr_vector facts(sym_ctx());
            IndexTerms terms = path_terms(differs, facts);
            instantiate(facts, terms, 1, inc.done);
            const Checked c = check_guarded(inc, facts, differs, "unchanged-" + name);
            if (opt_.trace) {
                std::fprintf(
                    stderr, "  %s path %zu unchanged %-24s %-3s +%u/%zu facts %.3fs %.1fM\n",
                    spec_.name.c_str(), path_, name.c_str(), c.result == z3::unsat ? "yes" : "no",
                    c.added, inc.in_solver.size(), c.seconds, c.work / 1e6);
            }
            if (c.result == z3::unsat) {
                out.insert(name);
            }
        }
        return out;
    }

    void run() {
        for (const auto& inv : state_invariants()) {
            if (stop()) {
                return;
            }
            const Skolems sk = make_skolems(inv.binders);
            const z3::expr post = inv.body(post_, sk.vars);
            if (post.id() == inv.body(pre_, sk.vars).id()) {
                ++result_.skipped; // reads nothing this path wrote
                continue;
            }
            goals_.push_back(
                {inv.name, inv.checks, !post, objects_named(inv, sk.vars), {}, sk.named});
        }
        for (std::size_t fi = 0; fi < count_families().size(); ++fi) {
            family(fi);
        }
        if (goals_.empty()) {
            return;
        }
        if (opt_.shared) {
            shared_solve();
            return;
        }
        for (const auto& g : goals_) {
            if (stop()) {
                return;
            }
            solve(g);
        }
    }

private:
    static z3::expr destroying(HandlerSpec::Phase phase, const Args<Symbolic>& args) {
        if (phase == HandlerSpec::Phase::Destroying) {
            return z3::zext(args.raw(0), 16);
        }
        return bv(StateView::kNoDomain, 32);
    }

    // The objects a goal's binders name, for the sum bounds: what the
    // goal's frame, domain, grant or maptrack entry holds or is.
    [[nodiscard]] std::vector<Object> objects_named(const Invariant& inv,
                                                    const std::vector<z3::expr>& vars) const {
        std::vector<Object> out;
        if (inv.instances == Instances::PerWord) {
            out.push_back({ObjectKind::Entry, vars[0], vars[1]});
            // A grant PTE's references are held by the grant its witness
            // names: without it in the sum, a model may free a frame that
            // this word still maps through another grant (grant_unmap).
            const z3::expr w = pre_.witness(vars[0], vars[1]);
            out.push_back({ObjectKind::Maptrack, w, w});
            const z3::expr g = pre_.grant_of(w);
            out.push_back({ObjectKind::ActiveGrant, g, g});
            return out;
        }
        for (std::size_t k = 0; k < vars.size(); ++k) {
            const z3::expr& x = vars[k];
            switch (inv.binders[k]) {
            case IndexClass::Frame:
                out.push_back({ObjectKind::FrameHolds, x, x});
                out.push_back({ObjectKind::OwnedFrame, x, x});
                break;
            case IndexClass::Dom:
                out.push_back({ObjectKind::Baseptr, x, x});
                break;
            case IndexClass::Grant:
                out.push_back({ObjectKind::ActiveGrant, x, x});
                break;
            case IndexClass::Map:
                out.push_back({ObjectKind::Maptrack, x, x});
                break;
            default:
                break;
            }
        }
        return out;
    }

    struct Goal {
        std::string name;
        std::vector<std::string> checks;
        z3::expr goal;             // the negated invariant: sat is a counterexample
        std::vector<Object> extra; // objects the goal names
        std::vector<std::pair<std::size_t, z3::expr>> targets; // (family, target) it names
        std::vector<std::pair<std::string, z3::expr>> binders;
    };

    [[nodiscard]] bool stop() const { return opt_.stop_at_failure && result_.stopped; }

    [[nodiscard]] const std::vector<Object>& changed(ObjectKind k) const {
        return changed_[static_cast<std::size_t>(k)];
    }

    std::vector<Object> changed_of(const CountFamily& f) const {
        std::vector<Object> out;
        for (const auto k : f.kinds) {
            const auto& c = changed(k);
            out.insert(out.end(), c.begin(), c.end());
        }
        return out;
    }

    void family(std::size_t fi) {
        const CountFamily& f = count_families()[fi];
        bool counter_written = false;
        for (const auto& a : f.counter_arrays) {
            counter_written = counter_written || writes_.wrote(a);
        }
        const std::vector<Object> objs = changed_of(f);
        bool entry_deps = false;
        for (const auto k : f.kinds) {
            if (k == ObjectKind::Entry) {
                entry_deps = writes_.wrote("mem") || writes_.wrote("frames.type") ||
                             writes_.wrote("frames.flags") || writes_.wrote("frames.owner");
            }
        }
        if (!counter_written && objs.empty() && !entry_deps) {
            ++result_.skipped;
            return;
        }
        const Skolems sk = make_skolems({f.target});
        const z3::expr& x = sk.vars[0];
        if (counter_written || !objs.empty()) {
            const z3::expr sum = distinct_sum(objs, [&](const Object& o) {
                return f.contribution(post_, o, x) - f.contribution(pre_, o, x);
            });
            const z3::expr goal =
                f.target_ok(pre_, x) && (f.counter(post_, x) - f.counter(pre_, x)) != sum;
            goals_.push_back({f.name + "/delta", f.checks, goal, {}, {{fi, x}}, sk.named});
        }
        if (entry_deps && !stop()) {
            const z3::expr t = sym_ctx().bv_const("sk.locality_frame", 32);
            const z3::expr i = sym_ctx().bv_const("sk.locality_slot", 9);
            z3::expr untouched = sym_ctx().bool_val(true);
            for (const auto& [wf, ws] : writes_.words) {
                untouched = untouched && !(t == wf && i == ws);
            }
            const Object o{ObjectKind::Entry, t, i};
            const z3::expr goal = f.target_ok(pre_, x) && untouched &&
                                  f.contribution(post_, o, x) != f.contribution(pre_, o, x);
            auto named = sk.named;
            named.emplace_back("frame_of_word", t);
            named.emplace_back("slot_of_word", i);
            goals_.push_back({f.name + "/locality", f.checks, goal, {o}, {{fi, x}}, named});
        }
    }

    // Sum bounds: for each family, at the targets whose counter the path
    // wrote (and the query's own target), over the objects the path changed
    // and the objects the goal names.
    void sum_bounds(z3::expr_vector& facts, const std::vector<Object>& extra,
                    const std::vector<std::pair<std::size_t, z3::expr>>& targets) const {
        for (std::size_t fi = 0; fi < count_families().size(); ++fi) {
            const CountFamily& f = count_families()[fi];
            std::vector<z3::expr> xs;
            for (const auto& a : f.counter_arrays) {
                const auto& w = writes_.of(a);
                xs.insert(xs.end(), w.begin(), w.end());
            }
            for (const auto& [tf, x] : targets) {
                if (tf == fi) {
                    xs.push_back(x);
                }
            }
            std::vector<Object> objs = changed_of(f);
            for (const auto& o : extra) {
                for (const auto k : f.kinds) {
                    if (o.kind == k) {
                        objs.push_back(o);
                    }
                }
            }
            if (xs.empty() || objs.empty()) {
                continue;
            }
            for (const auto& x : xs) {
                facts.push_back(
                    z3::implies(f.target_ok(pre_, x),
                                z3::uge(f.counter(pre_, x), distinct_sum(f, pre_, objs, x))));
            }
        }
    }

    // Pre-state invariants at the terms, in rounds.
    void instantiate(z3::expr_vector& facts, IndexTerms& terms, unsigned rounds,
                     std::set<std::vector<unsigned>>& done) const {
        std::vector<const Invariant*> invs;
        for (const auto& inv : state_invariants()) {
            invs.push_back(&inv);
        }
        for (const auto& lemma : coverage_lemmas()) {
            invs.push_back(&lemma);
        }
        for (const auto& rule : spec_.assumed) {
            invs.push_back(&rule);
        }
        for (unsigned round = 0; round < rounds; ++round) {
            const unsigned first = facts.size();
            for (unsigned n = 0; n < invs.size(); ++n) {
                const Invariant& inv = *invs[n];
                auto emit = [&](const std::vector<z3::expr>& b) {
                    std::vector<unsigned> key{n};
                    for (const auto& e : b) {
                        key.push_back(e.id());
                    }
                    if (done.insert(key).second) {
                        facts.push_back(inv.body(pre_, b));
                    }
                };
                if (inv.instances == Instances::PerWord) {
                    const auto pairs = terms.entries();
                    for (const auto& [t, i] : pairs) {
                        emit({t, i});
                    }
                    continue;
                }
                // Cross product over the binders' classes.
                std::vector<std::vector<z3::expr>> pools;
                for (const auto c : inv.binders) {
                    pools.push_back(terms.of(c));
                }
                std::vector<std::size_t> at(pools.size(), 0);
                bool empty = false;
                for (const auto& p : pools) {
                    empty = empty || p.empty();
                }
                while (!empty) {
                    std::vector<z3::expr> b;
                    for (std::size_t k = 0; k < pools.size(); ++k) {
                        b.push_back(pools[k][at[k]]);
                    }
                    emit(b);
                    std::size_t k = 0;
                    while (k < pools.size() && ++at[k] == pools[k].size()) {
                        at[k++] = 0;
                    }
                    if (k == pools.size()) {
                        break;
                    }
                }
            }
            if (round + 1 < rounds) {
                for (unsigned k = first; k < facts.size(); ++k) {
                    terms.collect(facts[k]);
                }
            }
        }
    }

    // With ENSO_VERIFY_DUMP=DIR, each query as SMT-LIB 2 (for profiling a
    // slow one with the z3 command line; add "(set-logic QF_AUFBV)"). A
    // shared solver's query is everything asserted so far, checked
    // assuming its goal's literal.
    void dump(z3::solver& solver, const std::string& name, const std::string& assuming = "") const {
        const char* dir = std::getenv("ENSO_VERIFY_DUMP");
        if (dir == nullptr) {
            return;
        }
        std::string stem = spec_.name + "-" + std::to_string(path_) + "-" + name;
        for (auto& ch : stem) {
            if (std::isalnum(static_cast<unsigned char>(ch)) == 0 && ch != '-') {
                ch = '_';
            }
        }
        std::string text = solver.to_smt2();
        const auto at = text.rfind("(check-sat)");
        if (!assuming.empty() && at != std::string::npos) {
            text.replace(at, 11, "(check-sat-assuming (" + assuming + "))");
        }
        std::ofstream(std::string(dir) + "/" + stem + ".smt2") << text;
    }

    // A solver with the path condition and the timeout, nothing else yet.
    [[nodiscard]] z3::solver path_solver(bool logic_specific) const {
        // The solver for QF_AUFBV first: on these queries (arrays,
        // bit-vectors, no quantifiers) it was 10-100x faster than the
        // default one. (The "qfaufbv" tactic as a solver was 1.5-3x slower
        // on mmu_update.)
        z3::solver solver =
            logic_specific ? z3::solver(sym_ctx(), "QF_AUFBV") : z3::solver(sym_ctx());
        z3::params p(sym_ctx());
        p.set("timeout", opt_.timeout_ms);
        solver.set(p);
        solver.add(pc_);
        return solver;
    }

    // A solver for one goal: the path condition and the goal, no facts yet.
    [[nodiscard]] z3::solver fresh_solver(const z3::expr& goal, bool logic_specific) const {
        z3::solver solver = path_solver(logic_specific);
        solver.add(goal);
        return solver;
    }

    // Asserts the facts not asserted yet (`added` marks them) and checks.
    // Tried and left out: lazy instantiation (assert only the instances a
    // model falsifies, until unsat or none is): fewer facts per query (a
    // third to a half), but the models of the merged goal wander from goal
    // to goal and mmu_update and grant_map took as long per path.
    z3::check_result refine(z3::solver& solver, const z3::expr_vector& facts,
                            std::vector<bool>& added, unsigned& asserted) const {
        added.resize(facts.size(), false);
        for (unsigned k = 0; k < facts.size(); ++k) {
            if (!added[k]) {
                solver.add(facts[k]);
                added[k] = true;
                ++asserted;
            }
        }
        return solver.check();
    }

    // One check of pc, goal and facts; the default solver takes over when
    // the logic-specific one gives up ("incomplete"; with memory reads as
    // if-then-else chains no constant array reaches the solver any more,
    // so this is a safety net).
    z3::check_result check(const z3::expr& goal, const z3::expr_vector& facts, z3::solver& solver,
                           std::vector<bool>& added, unsigned& asserted,
                           const std::string& name) const {
        z3::check_result r = refine(solver, facts, added, asserted);
        dump(solver, name);
        if (r != z3::unknown || solver.reason_unknown().find("incomplete") == std::string::npos) {
            return r;
        }
        solver = fresh_solver(goal, false);
        for (unsigned k = 0; k < facts.size(); ++k) {
            solver.add(facts[k]);
            added[k] = true;
        }
        asserted = facts.size();
        return solver.check();
    }

    // Every goal of the path against one incremental solver: the facts
    // (pre-state instances, valid for every goal) are asserted once and the
    // goals checked one by one as assumptions. A goal it does not refute is
    // solved again alone, with escalation and a counterexample.
    void shared_solve() {
        Incremental inc = incremental();
        for (const auto& g : goals_) {
            if (stop()) {
                return;
            }
            const auto t0 = Clock::now();
            z3::expr_vector facts(sym_ctx());
            IndexTerms terms = goal_terms(g, facts);
            instantiate(facts, terms, opt_.rounds, inc.done);
            const Checked c = check_guarded(inc, facts, g.goal, "shared-" + g.name);
            if (opt_.trace) {
                std::fprintf(
                    stderr, "  %s path %zu %-44s %-7s +%u/%zu facts %.3fs %.1fM (shared)\n",
                    spec_.name.c_str(), path_, g.name.c_str(),
                    c.result == z3::unsat ? "unsat" : (c.result == z3::sat ? "SAT" : "unknown"),
                    c.added, inc.in_solver.size(), c.seconds, c.work / 1e6);
            }
            result_.seconds_by_invariant[g.name] += since(t0);
            if (c.result != z3::unsat) {
                solve(g); // alone, with escalation and a counterexample
            }
        }
    }

    // One incremental solver for several queries of the path: the facts
    // (pre-state instances, valid for every query) stay asserted, and each
    // query is guarded by a literal and checked assuming it.
    struct Incremental {
        z3::solver solver;
        std::set<std::vector<unsigned>> done; // instances taken
        std::set<unsigned> in_solver;         // ids of the facts asserted
        unsigned literals = 0;
    };
    struct Checked {
        z3::check_result result;
        unsigned added; // facts new to the solver
        double seconds; // solving only
        double work;    // z3's resource count of the check
    };

    [[nodiscard]] Incremental incremental() const { return {path_solver(true), {}, {}, 0}; }

    // Asserts the facts the solver lacks and checks `query` under a fresh
    // literal, counted as one query of the path.
    Checked check_guarded(Incremental& inc, const z3::expr_vector& facts, const z3::expr& query,
                          const std::string& dump_name) {
        unsigned added = 0;
        for (unsigned k = 0; k < facts.size(); ++k) {
            if (inc.in_solver.insert(facts[k].id()).second) {
                inc.solver.add(facts[k]);
                ++added;
            }
        }
        const std::string lit_name = "query." + std::to_string(inc.literals++);
        const z3::expr lit = sym_ctx().bool_const(lit_name.c_str());
        inc.solver.add(z3::implies(lit, query));
        z3::expr_vector assume(sym_ctx());
        assume.push_back(lit);
        dump(inc.solver, dump_name, lit_name);
        const Counted c = counted(inc.solver, [&] { return inc.solver.check(assume); });
        return {c.result, added, c.seconds, c.work};
    }

    struct Counted {
        z3::check_result result;
        double seconds;
        double work;
    };

    // Runs one check of `solver` (which `run` may replace: z3's resource
    // counter is the context's) and counts it as one query of the proof.
    template <class Run>
    Counted counted(const z3::solver& solver, Run&& run) {
        const double w0 = work_done(solver);
        const auto t0 = Clock::now();
        const z3::check_result r = run();
        const Counted c{r, since(t0), work_done(solver) - w0};
        ++result_.queries;
        result_.solver_seconds += c.seconds;
        result_.solver_work += c.work;
        return c;
    }

    // A goal's sum bounds (into facts) and the terms its instances are
    // taken at.
    IndexTerms goal_terms(const Goal& g, z3::expr_vector& facts) const {
        sum_bounds(facts, g.extra, g.targets);
        return path_terms(g.goal, facts);
    }

    // The terms of a query, the path condition, the facts so far and the
    // words the path wrote.
    IndexTerms path_terms(const z3::expr& query, const z3::expr_vector& facts) const {
        IndexTerms terms;
        terms.collect(query);
        terms.collect(pc_);
        for (unsigned k = 0; k < facts.size(); ++k) {
            terms.collect(facts[k]);
        }
        // The words the path wrote: memory reads are if-then-else chains
        // over them, so they appear in no select of the goal.
        for (const auto& [f, w] : writes_.words) {
            terms.add_entry(f, w);
        }
        return terms;
    }

    // Solves one goal alone and records a failure unless it is refuted. A
    // goal that is not refuted with the configured instantiation rounds
    // gets more, up to max_rounds, before it counts as a failure: a model
    // may just lack an instance.
    void solve(const Goal& g) {
        const auto t0 = Clock::now();
        z3::expr_vector facts(sym_ctx());
        IndexTerms terms = goal_terms(g, facts);
        std::set<std::vector<unsigned>> done;
        z3::solver solver = fresh_solver(g.goal, true);
        std::vector<bool> added;
        unsigned asserted = 0;
        z3::check_result r = z3::unknown;
        const unsigned last = std::max(opt_.rounds, opt_.max_rounds);
        for (unsigned rounds = 1; rounds <= last; ++rounds) {
            // Each pass instantiates one round more than the last.
            instantiate(facts, terms, 1, done);
            if (rounds < opt_.rounds) {
                for (unsigned k = 0; k < facts.size(); ++k) {
                    terms.collect(facts[k]);
                }
                continue;
            }
            const Counted c = counted(
                solver, [&] { return check(g.goal, facts, solver, added, asserted, g.name); });
            r = c.result;
            if (opt_.trace) {
                std::fprintf(stderr,
                             "  %s path %zu %-44s %-7s %u/%u facts %.3fs %.1fM (round %u)\n",
                             spec_.name.c_str(), path_, g.name.c_str(),
                             r == z3::unsat ? "unsat" : (r == z3::sat ? "SAT" : "unknown"),
                             asserted, facts.size(), c.seconds, c.work / 1e6, rounds);
            }
            if (r == z3::unsat || rounds == last) {
                break;
            }
            for (unsigned k = 0; k < facts.size(); ++k) {
                terms.collect(facts[k]);
            }
        }
        if (r != z3::unsat) {
            QueryFailure f;
            f.invariant = g.name;
            f.checks = g.checks;
            f.path = path_;
            f.unknown = r == z3::unknown;
            if (f.unknown) {
                f.reason = solver.reason_unknown();
            } else if (opt_.counterexamples) {
                f.counterexample = counterexample(solver, terms, done, g.binders, g.name, g.checks);
            }
            if (!opt_.accept || opt_.accept(f)) {
                result_.stopped = true;
            }
            result_.failures.push_back(std::move(f));
        }
        result_.seconds_by_invariant[g.name] += since(t0);
    }

    // The counterexample's world: the query's terms, what they name (a
    // frame's owner, a domain's root and shared frames, a maptrack entry's
    // grant, a grant's frame, an entry's target, a port's peer), and a few
    // fresh objects the model may use to account for a count.
    void close_world(IndexTerms& w) const {
        auto& c = sym_ctx();
        for (unsigned k = 0; k < 2; ++k) {
            w.add_entry(c.bv_const(("cx.extra_frame" + std::to_string(k)).c_str(), 32),
                        c.bv_const(("cx.extra_slot" + std::to_string(k)).c_str(), 9));
            w.add(IndexClass::Map, c.bv_const(("cx.extra_map" + std::to_string(k)).c_str(), 32));
        }
        for (unsigned pass = 0; pass < closure_passes_; ++pass) {
            const IndexTerms now = w;
            for (const auto& [t, i] : now.entries()) {
                w.add(IndexClass::Frame, StateView::target(pre_.word(t, i)));
            }
            for (const auto& f : now.of(IndexClass::Frame)) {
                w.add(IndexClass::Dom, z3::zext(pre_.owner(f), 16));
            }
            for (const auto& d : now.of(IndexClass::Dom)) {
                w.add(IndexClass::Frame, pre_.baseptr(d));
                w.add(IndexClass::Frame, pre_.shared_info(d));
                for (unsigned i = 0; i < core::kMaxGrantFrames; ++i) {
                    w.add(IndexClass::GrantFrame,
                          z3::shl(d, bv(core::kGrantFrameBits, 32)) | bv(i, 32));
                }
            }
            for (const auto& g : now.of(IndexClass::GrantFrame)) {
                w.add(IndexClass::Frame, pre_.gframe(g));
            }
            for (const auto& mi : now.of(IndexClass::Map)) {
                w.add(IndexClass::Dom, z3::lshr(mi, bv(core::kMaptrackBits, 32)));
                w.add(IndexClass::Dom, z3::zext(pre_.granter(mi), 16));
                w.add(IndexClass::Grant, pre_.grant_of(mi));
            }
            for (const auto& gi : now.of(IndexClass::Grant)) {
                w.add(IndexClass::Frame, pre_.act_frame(gi));
                w.add(IndexClass::Dom, z3::lshr(gi, bv(core::kGrantRefBits, 32)));
            }
            for (const auto& pi : now.of(IndexClass::Port)) {
                w.add(IndexClass::Dom, z3::lshr(pi, bv(core::kPortBits, 32)));
                w.add(IndexClass::Port,
                      z3::shl(z3::zext(pre_.remote_dom(pi), 16), bv(core::kPortBits, 32)) |
                          pre_.remote_port(pi));
            }
        }
    }

    // Every count the query looked at is exactly what the world's objects
    // hold: nothing outside the world references those frames, grants or
    // domains, so the concrete machine built from it has the same counts.
    void closed_world(z3::expr_vector& facts, const IndexTerms& w, const IndexTerms& exact) const {
        std::vector<Object> objs;
        for (const auto& f : w.of(IndexClass::Frame)) {
            objs.push_back({ObjectKind::FrameHolds, f, f});
            objs.push_back({ObjectKind::OwnedFrame, f, f});
        }
        for (const auto& d : w.of(IndexClass::Dom)) {
            objs.push_back({ObjectKind::Baseptr, d, d});
        }
        for (const auto& [t, i] : w.entries()) {
            objs.push_back({ObjectKind::Entry, t, i});
        }
        for (const auto& gi : w.of(IndexClass::Grant)) {
            objs.push_back({ObjectKind::ActiveGrant, gi, gi});
        }
        for (const auto& mi : w.of(IndexClass::Map)) {
            objs.push_back({ObjectKind::Maptrack, mi, mi});
        }
        for (const auto& f : count_families()) {
            std::vector<Object> mine;
            for (const auto& o : objs) {
                if (std::find(f.kinds.begin(), f.kinds.end(), o.kind) != f.kinds.end()) {
                    mine.push_back(o);
                }
            }
            for (const auto& x : exact.of(f.target)) {
                facts.push_back(z3::implies(f.target_ok(pre_, x),
                                            f.counter(pre_, x) == distinct_sum(f, pre_, mine, x)));
            }
        }
    }

    // Prefers a closed world on a machine small enough to build and draw.
    Counterexample counterexample(z3::solver& solver, const IndexTerms& terms,
                                  std::set<std::vector<unsigned>>& done,
                                  const std::vector<std::pair<std::string, z3::expr>>& binders,
                                  const std::string& name, const std::vector<std::string>& checks) {
        IndexTerms world = terms;
        close_world(world);
        z3::expr_vector facts(sym_ctx());
        instantiate(facts, world, 1, done); // only what the query did not have
        closed_world(facts, world, terms);
        const z3::expr small = before_.nr_frames.expr() == bv(64, 32);
        bool is_small = false;
        bool closed = false;
        z3::params p(sym_ctx());
        p.set("timeout", std::min(opt_.timeout_ms, 5000U));
        solver.set(p);
        solver.push();
        for (unsigned k = 0; k < facts.size(); ++k) {
            solver.add(facts[k]);
        }
        solver.add(small);
        const auto tc0 = Clock::now();
        const auto closed_result = solver.check();
        if (std::getenv("ENSO_VERIFY_DEBUG")) {
            std::fprintf(stderr, "closed world: %d after %.3fs (%u facts): %s\n",
                         static_cast<int>(closed_result), since(tc0), facts.size(),
                         closed_result == z3::unknown ? solver.reason_unknown().c_str() : "");
        }
        if (closed_result == z3::sat) {
            is_small = closed = true;
        } else {
            solver.pop();
            solver.push();
            solver.add(small);
            if (solver.check() == z3::sat) {
                is_small = true;
            } else {
                solver.pop();
                solver.check();
            }
        }
        Counterexample c =
            read_model(solver.get_model(), before_, closed ? world : terms, spec_, args_, binders);
        c.invariant = name;
        c.checks = checks;
        c.path = path_;
        c.small = is_small;
        c.closed_world = closed;
        return c;
    }

    const HandlerSpec& spec_;
    const ProofOptions& opt_;
    ProofResult& result_;
    const SState& before_;
    const Args<Symbolic>& args_;
    z3::expr pc_;
    std::size_t path_;
    StateWrites writes_;
    StateView pre_;
    StateView post_;
    std::vector<std::vector<Object>> changed_;
    std::vector<Goal> goals_;
    // How far the counterexample's world reaches past the query's terms: a
    // closure makes the picture complete but the query slow (pairwise
    // invariants over every domain's grant frames); none keeps it to what
    // the query looked at, plus the fresh objects.
    unsigned closure_passes_ = 0;
};

} // namespace

ProofResult prove_handler(const HandlerSpec& spec, const ProofOptions& options) {
    // Every term of the proof is made, and gone, in here (the result is
    // concrete), so its work count depends on this proof alone.
    const FreshContext context;
    ProofResult result;
    result.handler = spec.name;
    result.explored_only = options.explore_only;
    const auto start = Clock::now();
    try {
        const SState before = make_symbolic_state();
        const z3::expr witness = make_pte_witness();
        const Args<Symbolic> args(spec.args);
        Explorer explorer(sym_ctx());
        explorer.assume(state_assumptions(StateView(before, witness, bv(0, 32))));
        if (spec.precondition) {
            explorer.assume(spec.precondition(before, args));
        }
        // Paths that end in the same post-state are proved once, under the
        // disjunction of their conditions: the same goals over the same
        // terms, so one proof covers each of them. z3 shares equal terms
        // while they live, so equal arrays have equal ids here. grant_unmap
        // ends its 22 successful paths in 4 states: its walk of the caller's
        // address to an L1 entry stops in one of five ways, which changes
        // the condition of a path, not what it writes.
        std::vector<EndState> ends;
        result.paths = explorer.explore(
            [&] {
                SState after = before;
                const core::Rc rc = spec.symbolic(after, args);
                if (rc == 0) {
                    ++result.ok_paths;
                }
                std::vector<unsigned> key;
                for (const auto& [name, a] : state_arrays(after)) {
                    key.push_back(a.id());
                }
                auto at = std::find_if(ends.begin(), ends.end(),
                                       [&](const EndState& e) { return e.key == key; });
                if (at == ends.end()) {
                    ends.push_back(
                        {std::move(after), std::move(key), explorer.path_condition(), {}, {}});
                    at = std::prev(ends.end());
                }
                at->decisions.push_back(explorer.decisions());
                at->paths.push_back(explorer.current_path());
            },
            spec.max_paths);
        result.end_states = ends.size();
        std::size_t covered = 0; // paths of this shard's end states proved so far
        for (std::size_t k = 0; k < ends.size() && !options.explore_only; ++k) {
            const EndState& end = ends[k];
            if (k % options.shards != options.shard) {
                continue;
            }
            z3::expr pc = end.first_condition;
            if (end.paths.size() > 1) {
                z3::expr_vector any(sym_ctx());
                for (const auto& d : end.decisions) {
                    any.push_back(d);
                }
                pc = explorer.assumptions() && z3::mk_or(any);
            }
            if (options.trace && end.paths.size() > 1) {
                std::string also;
                for (std::size_t i = 1; i < end.paths.size(); ++i) {
                    also += " " + std::to_string(end.paths[i]);
                }
                std::fprintf(stderr, "  %s path %zu ends as paths%s do: proved once for all\n",
                             spec.name.c_str(), end.paths.front(), also.c_str());
            }
            SState after = end.after;
            if (options.restore_unchanged) {
                const std::set<std::string> same = PathProver(spec, options, result, before, after,
                                                              witness, args, pc, end.paths.front())
                                                       .unchanged_arrays();
                result.restored += same.size();
                restore_arrays(after, before, same);
            }
            PathProver(spec, options, result, before, after, witness, args, pc, end.paths.front())
                .run();
            covered += end.paths.size();
            if (options.progress) {
                options.progress(covered, result.queries);
            }
            if (options.stop_at_failure && result.stopped) {
                break;
            }
        }
    } catch (const PathBoundExceeded& e) {
        result.error = e.what();
    } catch (const z3::exception& e) {
        result.error = std::string("z3: ") + e.msg();
    }
    result.seconds = since(start);
    return result;
}

ProofResult prove_keeps_invariants(const std::function<void(SState&)>& handler,
                                   const ProofOptions& options) {
    HandlerSpec spec;
    spec.name = "handler";
    spec.symbolic = [&handler](SState& s, const Args<Symbolic>&) {
        handler(s);
        return core::Rc{0};
    };
    return prove_handler(spec, options);
}

} // namespace enso::verify
