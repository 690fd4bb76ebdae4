// Proving that a handler keeps the invariants (handler_proof.hpp): its
// feasible paths, grouped by the state they end in, each end state proved
// once.
#include "verify/handler_proof.hpp"

#include "verify/path_context.hpp"
#include "verify/path_explorer.hpp"
#include "verify/path_proof.hpp"
#include "verify/symbolic_domain.hpp"
#include "verify/symbolic_invariants.hpp"
#include "verify/table_work_steps.hpp"
#include "verify/vacuity_check.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iterator>
#include <set>

namespace enso::verify {

namespace {

// Paths that end in one post-state: proved once, under the disjunction of
// their conditions.
struct EndState {
    SState after;
    std::vector<unsigned> key;       // the ids of its arrays
    z3::expr first_condition;        // the first path's whole condition
    std::vector<z3::expr> decisions; // each path's own decisions
    std::vector<std::size_t> paths;
    std::vector<bool> ok;   // each path returned ok
    bool succeeded = false; // its first path returned kOk (every path of a table-work step's
                            // end state alike: its key holds it)
};

// Paths that return kNeedsTableWork, grouped by the state and the request
// they end in: each group's request is proved to be one the table-work
// steps start from (table_work_steps.hpp).
struct Requests {
    std::vector<EndState> ends;
    std::vector<std::uint8_t> work;
};

// Runs the handler on every feasible path and groups the paths by the
// state they end in. Paths that end alike need the same goals over the same
// terms, so one proof covers all of them. z3 shares equal terms while they
// live, so equal arrays have equal ids here (every state is kept until the
// grouping is done). grant_unmap's walk of the caller's address to an L1
// entry stops in one of several ways, which changes a path's condition,
// not what it writes.
std::vector<EndState> explore_end_states(const HandlerSpec& spec, const SState& before,
                                         const Args<Symbolic>& args, Explorer& explorer,
                                         ProofResult& result, Requests& requests) {
    std::vector<EndState> ends;
    auto add = [&](std::vector<EndState>& to, SState after, std::vector<unsigned> key, bool ok) {
        auto at =
            std::find_if(to.begin(), to.end(), [&](const EndState& e) { return e.key == key; });
        if (at == to.end()) {
            to.push_back(
                {std::move(after), std::move(key), explorer.path_condition(), {}, {}, {}, ok});
            at = std::prev(to.end());
        }
        at->decisions.push_back(explorer.decisions());
        at->paths.push_back(explorer.current_path());
        at->ok.push_back(ok);
        return at - to.begin();
    };
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
            if (rc == core::kNeedsTableWork) {
                std::vector<unsigned> rkey = key;
                rkey.insert(rkey.end(), {after.work, after.work_frame.expr().id(),
                                         after.work_type.expr().id()});
                const auto n = requests.ends.size();
                if (add(requests.ends, after, std::move(rkey), false) ==
                    static_cast<std::ptrdiff_t>(n)) {
                    requests.work.push_back(after.work);
                }
            }
            if (spec.progress_after) {
                key.push_back(rc == 0 ? 1U : 0U); // the ghost moves only on success
            }
            add(ends, std::move(after), std::move(key), rc == 0);
        },
        spec.max_paths);
    result.end_states = ends.size();
    return ends;
}

// The condition an end state is proved under: its one path's, or the
// shared assumptions and any of its paths' decisions.
z3::expr end_condition(const EndState& end, const Explorer& explorer) {
    if (end.paths.size() == 1) {
        return end.first_condition;
    }
    z3::expr_vector any(sym_ctx());
    for (const auto& d : end.decisions) {
        any.push_back(d);
    }
    return explorer.assumptions() && z3::mk_or(any);
}

// The condition of the end state's paths that return ok, if any.
std::optional<z3::expr> ok_condition(const EndState& end, const Explorer& explorer) {
    z3::expr_vector any(sym_ctx());
    for (std::size_t k = 0; k < end.paths.size(); ++k) {
        if (end.ok[k]) {
            any.push_back(end.decisions[k]);
        }
    }
    if (any.empty()) {
        return std::nullopt;
    }
    return explorer.assumptions() && z3::mk_or(any);
}

void trace_merged(const HandlerSpec& spec, const EndState& end) {
    std::string also;
    for (std::size_t i = 1; i < end.paths.size(); ++i) {
        also += " " + std::to_string(end.paths[i]);
    }
    std::fprintf(stderr, "  %s path %zu ends as paths%s do: proved once for all\n",
                 spec.name.c_str(), end.paths.front(), also.c_str());
}

// One end state: arrays left as they were set back first (each check a
// query), then the goals of what remains.
void prove_end_state(const HandlerSpec& spec, const SState& before, const z3::expr& witness,
                     const Args<Symbolic>& args, const EndState& end, const z3::expr& condition,
                     const std::optional<z3::expr>& ok, const ProofOptions& options,
                     ProofResult& result) {
    SState after = end.after;
    const std::size_t path = end.paths.front();
    if (options.restore_unchanged) {
        PathContext first(spec, before, after, witness, args, condition, path, end.succeeded);
        first.ok_condition = ok; // for the vacuity of what it sets back
        const std::set<std::string> same = unchanged_arrays(first, options, result);
        result.restored += same.size();
        restore_arrays(after, before, same);
    }
    PathContext context(spec, before, after, witness, args, condition, path, end.succeeded);
    context.ok_condition = ok;
    prove_goals(context, options, result);
}

// A request for table work: what the steps that carry it out assume.
void prove_request(const HandlerSpec& spec, const SState& before, const z3::expr& witness,
                   const Args<Symbolic>& args, const EndState& end, std::uint8_t work,
                   const z3::expr& condition, const ProofOptions& options, ProofResult& result) {
    const PathContext path(spec, before, end.after, witness, args, condition, end.paths.front(),
                           false);
    prove_goal(path, table_work_request_goal(path, work), options, result);
}

} // namespace

ProofResult prove_handler(const HandlerSpec& spec, const ProofOptions& options) {
    // Every term of the proof is made, and gone, in here (the result is
    // concrete), so its work count depends on this proof alone.
    const FreshContext context;
    ProofResult result;
    result.handler = spec.name;
    result.explored_only = options.explore_only;
    const auto start = std::chrono::steady_clock::now();
    try {
        const SState before = make_symbolic_state();
        const z3::expr witness = make_pte_witness();
        const Args<Symbolic> args(spec.args);
        Explorer explorer(sym_ctx());
        explorer.assume(state_assumptions(StateView(before, witness, bv(0, 32))));
        if (spec.precondition) {
            explorer.assume(spec.precondition(before, args));
        }
        Requests requests;
        const std::vector<EndState> ends =
            explore_end_states(spec, before, args, explorer, result, requests);
        std::size_t covered = 0; // paths of this shard's end states proved so far
        for (std::size_t k = 0; k < ends.size() && !options.explore_only; ++k) {
            if (k % options.shards != options.shard) {
                continue;
            }
            const EndState& end = ends[k];
            const z3::expr condition = end_condition(end, explorer);
            if (options.trace && end.paths.size() > 1) {
                trace_merged(spec, end);
            }
            prove_end_state(spec, before, witness, args, end, condition,
                            ok_condition(end, explorer), options, result);
            covered += end.paths.size();
            if (options.progress) {
                options.progress(covered, result.queries);
            }
            if (options.stop_at_failure && result.stopped) {
                break;
            }
        }
        for (std::size_t k = 0; k < requests.ends.size() && !options.explore_only; ++k) {
            if (k % options.shards != options.shard ||
                (options.stop_at_failure && result.stopped)) {
                continue;
            }
            const EndState& end = requests.ends[k];
            prove_request(spec, before, witness, args, end, requests.work[k],
                          end_condition(end, explorer), options, result);
        }
    } catch (const PathBoundExceeded& e) {
        result.error = e.what();
    } catch (const z3::exception& e) {
        result.error = std::string("z3: ") + e.msg();
    }
    finish_vacuity(result);
    result.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
}

} // namespace enso::verify
