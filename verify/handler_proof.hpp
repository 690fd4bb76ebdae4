// Proving that a handler keeps the invariants: on every feasible path, from
// any state that satisfies them, the handler ends in a state that satisfies
// them again.
//
// Queries stay quantifier-free. For each invariant a path could affect, the
// post-state's binders become fresh constants (a would-be counterexample);
// the pre-state's invariants are instantiated at the index terms the path
// and that counterexample mention (in rounds, so terms the instances bring
// in are covered too), and each count family adds its delta, locality and
// sum-bound queries (reference_counts.hpp). Instantiating a universal
// assumption is sound, so "unsat" is a proof; "sat" is a counterexample of
// the instantiated query, which the concrete replay must confirm.
//
// The parts, in the order a proof runs them: path_explorer.hpp (the paths),
// path_context.hpp (one end state), path_proof.hpp (its unchanged arrays
// and goals), proof_goals.hpp, pre_state_facts.hpp, query_solver.hpp,
// counterexample_search.hpp.
#pragma once

#include "verify/counterexample.hpp"
#include "verify/handler_spec.hpp"

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace enso::verify {

struct QueryFailure {
    std::string invariant;           // invariant name, or "<family>/delta", "<family>/locality"
    std::vector<std::string> checks; // concrete checks that correspond
    std::size_t path = 0;
    bool unknown = false; // the solver gave up (timeout) instead of finding a model
    std::string reason;
    std::optional<Counterexample> counterexample;
};

struct ProofResult {
    std::string handler;
    std::size_t paths = 0;
    std::size_t ok_paths = 0; // paths that return 0 (kOk / GNTST_okay)
    // Distinct post-states the paths end in: each is proved once, under the
    // disjunction of its paths' conditions.
    std::size_t end_states = 0;
    std::size_t queries = 0;
    std::size_t skipped = 0; // invariants a path cannot affect (reads nothing it wrote)
    // Arrays an end state stored to but left as they were, summed over the
    // handler's end states.
    std::size_t restored = 0;
    std::vector<QueryFailure> failures;
    double seconds = 0;
    double solver_seconds = 0;
    // z3's resource count over every query. It repeats exactly from run to
    // run (a proof runs in a fresh context, FreshContext), unlike seconds on
    // a shared machine: equal counts mean the same queries. It does not
    // rank builds whose queries differ: less work need not be less time.
    double solver_work = 0;
    std::map<std::string, double> seconds_by_invariant;
    std::string error;    // the explorer gave up (path bound), or z3 threw
    bool stopped = false; // stop_at_failure: a failure was accepted

    bool explored_only = false; // ProofOptions::explore_only: nothing was proved

    // Non-vacuity (vacuity_check.hpp): each goal checked on a successful
    // path, and whether its assumptions were satisfiable on one of them;
    // the goals proved only vacuously.
    std::map<std::string, bool> nonvacuous;
    std::vector<std::string> vacuous;
    std::size_t vacuity_queries = 0;

    [[nodiscard]] bool proved() const {
        return error.empty() && failures.empty() && ok_paths > 0 && !explored_only &&
               vacuous.empty();
    }
};

struct ProofOptions {
    // What one query may spend (QueryLimits): z3 work decides; the time
    // limit is a backstop.
    unsigned work_millions = 150;
    unsigned timeout_ms = 300000;
    // Instantiation rounds: one first (most paths need no more; a query
    // costs about its instance count), more only for a goal it cannot refute.
    unsigned rounds = 1;
    unsigned max_rounds = 3; // ... for a goal not refuted with `rounds`
    bool trace = false;      // one line per query on stderr
    // Stop at the first failure `accept` takes (any failure without one):
    // for a mutant, the first counterexample the concrete replay confirms.
    bool stop_at_failure = false;
    std::function<bool(const QueryFailure&)> accept;
    bool counterexamples = true; // read a counterexample from each sat query
    // Proves only the end states whose number is shard modulo shards (each
    // shard explores every path and groups them the same way): how one
    // handler's work is split over threads.
    unsigned shard = 0;
    unsigned shards = 1;
    // Before a path's goals, an array it stored to but provably left as it
    // was (a pin taken and dropped) is set back to the pre-state, so the
    // invariants that read only such arrays are no goals (grant_copy's
    // paths mostly acquire and release).
    bool restore_unchanged = true;
    bool explore_only = false; // count the paths, prove nothing
    std::function<void(std::size_t paths, std::size_t queries)> progress;
};

ProofResult prove_handler(const HandlerSpec& spec, const ProofOptions& options = {});

} // namespace enso::verify
