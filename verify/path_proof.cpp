// One end state's proof (path_proof.hpp).
#include "verify/path_proof.hpp"

#include "verify/counterexample_search.hpp"
#include "verify/pre_state_facts.hpp"
#include "verify/proof_goals.hpp"
#include "verify/query_solver.hpp"
#include "verify/vacuity_check.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace enso::verify {

namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

const char* verdict(z3::check_result r) {
    return r == z3::unsat ? "unsat" : (r == z3::sat ? "SAT" : "unknown");
}

class PathProof {
public:
    PathProof(const PathContext& path, const ProofOptions& options, ProofResult& result)
        : path_(path), opt_(options), result_(result) {}

    std::set<std::string> unchanged_arrays();
    void prove_goals();
    void prove_one(const Goal& g) { prove_alone(g); }

private:
    // Adds a check to the proof's totals: every check is one query.
    Check count(const Check& c) {
        ++result_.queries;
        result_.solver_seconds += c.seconds;
        result_.solver_work += c.work;
        return c;
    }
    [[nodiscard]] bool stopped() const { return opt_.stop_at_failure && result_.stopped; }
    void prove_alone(const Goal& g);
    void record_failure(const Goal& g, GoalSolver& solver, z3::check_result r,
                        const IndexTerms& terms, InstanceKeys& taken);

    const PathContext& path_;
    const ProofOptions& opt_;
    ProofResult& result_;
};

std::set<std::string> PathProof::unchanged_arrays() {
    std::set<std::string> out;
    const StateWrites& writes = path_.writes;
    const auto pre = state_arrays(path_.before);
    const auto post = state_arrays(path_.post.state());
    PathSolver solver(path_.condition, opt_.timeout_ms);
    InstanceKeys taken;
    for (std::size_t k = 0; k < pre.size(); ++k) {
        const auto& [name, a] = pre[k];
        // Memory counts as unchanged only if no frame was replaced whole
        // and every word stored holds its old value again.
        if (!writes.wrote(name) || (name == "mem" && !writes.whole_frames.empty())) {
            continue;
        }
        z3::expr differs = sym_ctx().bool_val(false);
        if (name == "mem") {
            for (const auto& [f, w] : writes.words) {
                differs = differs || path_.post.word(f, w) != path_.pre.word(f, w);
            }
        } else {
            for (const auto& i : writes.of(name)) {
                differs = differs || z3::select(post[k].second, i) != z3::select(a, i);
            }
        }
        z3::expr_vector facts(sym_ctx());
        IndexTerms terms = query_terms(path_, differs, facts);
        add_instances(path_, facts, terms, 1, taken);
        const Check c = count(solver.check(facts, differs, path_.query_name("unchanged-" + name)));
        if (opt_.trace) {
            std::fprintf(stderr, "  %s path %zu unchanged %-24s %-3s +%u/%zu facts %.3fs %.1fM\n",
                         path_.spec.name.c_str(), path_.path, name.c_str(),
                         c.result == z3::unsat ? "yes" : "no", c.added, c.asserted, c.seconds,
                         c.work / 1e6);
        }
        if (c.result == z3::unsat) {
            out.insert(name);
        }
    }
    // Setting an array back is concluded from the facts as a goal is, and
    // with facts that contradict each other every array is set back and no
    // goal is left: each is an obligation of the vacuity check too.
    std::vector<std::string> restored;
    for (const auto& name : out) {
        restored.push_back("unchanged/" + name);
    }
    check_vacuity(path_, solver, restored, opt_, result_);
    return out;
}

// Every goal against one PathSolver: the facts (pre-state instances, valid
// for every goal) are asserted once and each goal checked as an
// assumption. A goal it does not refute is proved again alone.
void PathProof::prove_goals() {
    const std::vector<Goal> goals = path_goals(path_, result_.skipped);
    if (goals.empty()) {
        return;
    }
    PathSolver solver(path_.condition, opt_.timeout_ms);
    InstanceKeys taken;
    for (const auto& g : goals) {
        if (stopped()) {
            return;
        }
        const auto t0 = Clock::now();
        z3::expr_vector facts(sym_ctx());
        add_sum_bounds(path_, facts, g.named, g.targets);
        IndexTerms terms = query_terms(path_, g.negated, facts);
        add_instances(path_, facts, terms, opt_.rounds, taken);
        const Check c = count(solver.check(facts, g.negated, path_.query_name("shared-" + g.name)));
        if (opt_.trace) {
            std::fprintf(stderr, "  %s path %zu %-44s %-7s +%u/%zu facts %.3fs %.1fM (shared)\n",
                         path_.spec.name.c_str(), path_.path, g.name.c_str(), verdict(c.result),
                         c.added, c.asserted, c.seconds, c.work / 1e6);
        }
        result_.seconds_by_invariant[g.name] += since(t0);
        if (c.result != z3::unsat) {
            prove_alone(g);
        }
    }
    std::vector<std::string> names;
    for (const auto& g : goals) {
        names.push_back(g.name);
    }
    check_vacuity(path_, solver, names, opt_, result_);
}

// One goal on a GoalSolver of its own. Not refuted with options.rounds of
// instantiation, it gets more, up to max_rounds, before it counts as a
// failure: a model may just lack an instance.
void PathProof::prove_alone(const Goal& g) {
    const auto t0 = Clock::now();
    z3::expr_vector facts(sym_ctx());
    add_sum_bounds(path_, facts, g.named, g.targets);
    IndexTerms terms = query_terms(path_, g.negated, facts);
    InstanceKeys taken;
    GoalSolver solver(path_.condition, g.negated, opt_.timeout_ms);
    z3::check_result r = z3::unknown;
    const unsigned last = std::max(opt_.rounds, opt_.max_rounds);
    for (unsigned rounds = 1; rounds <= last; ++rounds) {
        // Each pass instantiates one round more than the last.
        add_instances(path_, facts, terms, 1, taken);
        if (rounds < opt_.rounds) {
            for (unsigned k = 0; k < facts.size(); ++k) {
                terms.collect(facts[k]);
            }
            continue;
        }
        const Check c = count(solver.check(facts, path_.query_name(g.name)));
        r = c.result;
        if (opt_.trace) {
            std::fprintf(stderr, "  %s path %zu %-44s %-7s %zu/%u facts %.3fs %.1fM (round %u)\n",
                         path_.spec.name.c_str(), path_.path, g.name.c_str(), verdict(r),
                         c.asserted, facts.size(), c.seconds, c.work / 1e6, rounds);
        }
        if (r == z3::unsat || rounds == last) {
            break;
        }
        for (unsigned k = 0; k < facts.size(); ++k) {
            terms.collect(facts[k]);
        }
    }
    if (r != z3::unsat) {
        record_failure(g, solver, r, terms, taken);
    }
    result_.seconds_by_invariant[g.name] += since(t0);
}

void PathProof::record_failure(const Goal& g, GoalSolver& solver, z3::check_result r,
                               const IndexTerms& terms, InstanceKeys& taken) {
    QueryFailure f;
    f.invariant = g.name;
    f.checks = g.checks;
    f.path = path_.path;
    f.unknown = r == z3::unknown;
    if (f.unknown) {
        f.reason = solver.solver().reason_unknown();
    } else if (opt_.counterexamples) {
        f.counterexample =
            find_counterexample(path_, g, solver.solver(), terms, taken, opt_.timeout_ms);
    }
    if (!opt_.accept || opt_.accept(f)) {
        result_.stopped = true;
    }
    result_.failures.push_back(std::move(f));
}

} // namespace

std::set<std::string> unchanged_arrays(const PathContext& path, const ProofOptions& options,
                                       ProofResult& result) {
    return PathProof(path, options, result).unchanged_arrays();
}

void prove_goals(const PathContext& path, const ProofOptions& options, ProofResult& result) {
    PathProof(path, options, result).prove_goals();
}

void prove_goal(const PathContext& path, const Goal& goal, const ProofOptions& options,
                ProofResult& result) {
    PathProof(path, options, result).prove_one(goal);
}

} // namespace enso::verify
