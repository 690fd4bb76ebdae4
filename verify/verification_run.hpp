// Runs proofs over a list of handlers (or mutants), on one or more threads
// (each with its own z3 context), replays every counterexample through the
// concrete semantics, and reports: JSON for machines, Graphviz pictures for
// people. What `enso verify` and the tests share.
#pragma once

#include "verify/concrete_replay.hpp"
#include "verify/handler_proof.hpp"
#include "verify/mutant.hpp"

#include <nlohmann/json_fwd.hpp>

#include <functional>
#include <string>
#include <vector>

namespace enso::verify {

struct HandlerOutcome {
    std::string name;
    std::string group;
    ProofResult proof;
    // One per failure with a counterexample, in order (up to a limit).
    std::vector<std::pair<Counterexample, Replay>> counterexamples;

    [[nodiscard]] bool proved() const { return proof.proved(); }
    // "proved", "refuted", "unknown" (timeouts only), "no successful path", "error"
    [[nodiscard]] std::string status() const;
};

struct MutantOutcome {
    const Mutant* mutant = nullptr;
    HandlerOutcome outcome;
    // Killed: refuted with a counterexample the concrete replay confirms,
    // on one of the mutant's expected checks.
    bool killed = false;
    std::string invariant; // the symbolic invariant the killing counterexample broke
    std::string checks;    // what the concrete checker reported
};

struct RunOptions {
    ProofOptions proof;
    unsigned jobs = 1;
    bool replay = true;
    std::size_t max_counterexamples = 2; // replayed and drawn per handler
    // Called (serialized) when a handler or mutant finishes.
    std::function<void(const HandlerOutcome&)> on_done;
    // Called (serialized) as paths are proved: handler, paths so far, queries so far.
    std::function<void(const std::string&, std::size_t, std::size_t)> on_progress;
};

std::vector<HandlerOutcome> run_handlers(const std::vector<const HandlerSpec*>& specs,
                                         const RunOptions& options);
std::vector<MutantOutcome> run_mutants(const std::vector<const Mutant*>& mutants,
                                       const RunOptions& options);

void to_json(nlohmann::json& j, const HandlerOutcome& o);
void to_json(nlohmann::json& j, const MutantOutcome& o);

// Writes <dir>/<stem>-<n>.dot, .svg (with Graphviz's dot, if it runs) and
// .json for each counterexample; returns the files written.
std::vector<std::string> write_counterexamples(const HandlerOutcome& o, const std::string& dir,
                                               const std::string& stem);

} // namespace enso::verify
