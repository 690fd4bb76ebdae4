#include "verify/verification_run.hpp"

#include "verify/policy_goals.hpp"
#include "verify/state_graph.hpp"
#include "verify/vacuity_check.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

namespace enso::verify {

namespace {

// Runs job(i) for i in [0, n) on `jobs` threads.
void parallel(std::size_t n, unsigned jobs, const std::function<void(std::size_t)>& job) {
    std::atomic<std::size_t> next{0};
    auto worker = [&] {
        for (std::size_t i = next++; i < n; i = next++) {
            job(i);
        }
    };
    std::vector<std::thread> threads;
    for (unsigned t = 1; t < std::max(1U, jobs) && t < n; ++t) {
        threads.emplace_back(worker);
    }
    worker();
    for (auto& t : threads) {
        t.join();
    }
}

std::string file_stem(std::string s) {
    std::replace(s.begin(), s.end(), '/', '_');
    return s;
}

HandlerOutcome prove_one(const HandlerSpec& spec, const RunOptions& options, std::mutex& lock,
                         const std::function<bool(const Counterexample&, const Replay&)>& accept) {
    HandlerOutcome out;
    out.name = spec.name;
    out.group = spec.group;
    ProofOptions po = options.proof;
    po.progress = [&](std::size_t paths, std::size_t queries) {
        if (options.on_progress) {
            const std::lock_guard<std::mutex> g(lock);
            options.on_progress(spec.name, paths, queries);
        }
    };
    // Replays each counterexample as it is found (the failure is copied:
    // the proof result keeps its own).
    po.accept = [&](const QueryFailure& f) {
        if (!f.counterexample || !options.replay ||
            out.counterexamples.size() >= options.max_counterexamples) {
            return !accept;
        }
        Replay r = replay_counterexample(spec, *f.counterexample);
        if (const char* debug = std::getenv("ENSO_VERIFY_DEBUG"); debug != nullptr) {
            std::fprintf(stderr, "replay %s path %zu (%s%s): %s\n", spec.name.c_str(),
                         f.counterexample->path, f.counterexample->closed_world ? "closed" : "open",
                         f.counterexample->small ? ", small" : "", r.summary.c_str());
            if (debug[0] == '2') {
                const std::string text = nlohmann::json(*f.counterexample).dump() + "\n";
                std::fwrite(text.data(), 1, text.size(), stderr);
            }
        }
        const bool take = accept ? accept(*f.counterexample, r) : true;
        out.counterexamples.emplace_back(*f.counterexample, std::move(r));
        return take;
    };
    out.proof = prove_handler(spec, po);
    return out;
}

} // namespace

std::string HandlerOutcome::status() const {
    if (!proof.error.empty()) {
        return "error";
    }
    bool model = false;
    for (const auto& f : proof.failures) {
        model = model || !f.unknown;
    }
    if (model) {
        return "refuted";
    }
    if (!proof.failures.empty()) {
        return "unknown";
    }
    if (proof.ok_paths == 0) {
        return "no successful path";
    }
    if (!proof.vacuous.empty()) {
        return "vacuous";
    }
    if (proof.explored_only) {
        return "explored";
    }
    return "proved";
}

namespace {

// One handler's outcome from its shards (each explored every path and
// proved its share of them).
HandlerOutcome merge_shards(std::vector<HandlerOutcome>& parts, std::size_t max_counterexamples) {
    HandlerOutcome m = std::move(parts[0]);
    for (std::size_t k = 1; k < parts.size(); ++k) {
        HandlerOutcome& p = parts[k];
        ProofResult& r = m.proof;
        r.paths = std::max(r.paths, p.proof.paths);
        r.ok_paths = std::max(r.ok_paths, p.proof.ok_paths);
        r.end_states = std::max(r.end_states, p.proof.end_states);
        r.queries += p.proof.queries;
        r.skipped += p.proof.skipped;
        r.restored += p.proof.restored;
        r.seconds = std::max(r.seconds, p.proof.seconds);
        r.solver_seconds += p.proof.solver_seconds;
        r.solver_work += p.proof.solver_work;
        r.stopped = r.stopped || p.proof.stopped;
        if (r.error.empty()) {
            r.error = p.proof.error;
        }
        for (const auto& [goal, t] : p.proof.seconds_by_invariant) {
            r.seconds_by_invariant[goal] += t;
        }
        r.failures.insert(r.failures.end(), p.proof.failures.begin(), p.proof.failures.end());
        for (const auto& [goal, ok] : p.proof.nonvacuous) {
            r.nonvacuous[goal] = r.nonvacuous[goal] || ok;
        }
        r.vacuity_queries += p.proof.vacuity_queries;
        for (auto& c : p.counterexamples) {
            if (m.counterexamples.size() < max_counterexamples) {
                m.counterexamples.push_back(std::move(c));
            }
        }
    }
    finish_vacuity(m.proof);
    std::stable_sort(m.proof.failures.begin(), m.proof.failures.end(),
                     [](const QueryFailure& a, const QueryFailure& b) { return a.path < b.path; });
    return m;
}

} // namespace

std::vector<HandlerOutcome> run_handlers(const std::vector<const HandlerSpec*>& specs,
                                         const RunOptions& options) {
    // Every handler's end states are split over the threads, so one handler
    // with most of the work does not leave a core idle.
    const unsigned shards = std::max(1U, options.jobs);
    std::vector<std::vector<HandlerOutcome>> parts(specs.size(),
                                                   std::vector<HandlerOutcome>(shards));
    std::vector<unsigned> left(specs.size(), shards);
    std::vector<HandlerOutcome> out(specs.size());
    std::mutex lock;
    parallel(specs.size() * shards, options.jobs, [&](std::size_t k) {
        const std::size_t i = k / shards;
        RunOptions o = options;
        o.proof.shard = static_cast<unsigned>(k % shards);
        o.proof.shards = shards;
        HandlerOutcome part = prove_one(*specs[i], o, lock, {});
        const std::lock_guard<std::mutex> g(lock);
        parts[i][k % shards] = std::move(part);
        if (--left[i] == 0) {
            out[i] = merge_shards(parts[i], options.max_counterexamples);
            if (options.on_done) {
                options.on_done(out[i]);
            }
        }
    });
    return out;
}

static std::vector<MutantOutcome> run_mutants_once(const std::vector<const Mutant*>& mutants,
                                                   const RunOptions& options, bool escalate);

std::vector<MutantOutcome> run_mutants(const std::vector<const Mutant*>& mutants,
                                       const RunOptions& options) {
    // Two passes. First every mutant with one instantiation round and no
    // escalation: most are killed in seconds. Then the survivors again with
    // escalation (a goal the first round cannot refute gets more instances
    // before its model is taken): a model of too few instances may be no
    // machine at all, and its replay then refutes nothing (xsa148, xsa240).
    // Escalating for every mutant from the start ran past 25 minutes.
    std::vector<MutantOutcome> out = run_mutants_once(mutants, options, false);
    std::vector<const Mutant*> survivors;
    std::vector<std::size_t> where;
    for (std::size_t i = 0; i < out.size(); ++i) {
        if (!out[i].killed) {
            survivors.push_back(mutants[i]);
            where.push_back(i);
        }
    }
    if (!survivors.empty()) {
        auto again = run_mutants_once(survivors, options, true);
        for (std::size_t k = 0; k < again.size(); ++k) {
            out[where[k]] = std::move(again[k]);
        }
    }
    return out;
}

static std::vector<MutantOutcome> run_mutants_once(const std::vector<const Mutant*>& mutants,
                                                   const RunOptions& options, bool escalate) {
    std::vector<MutantOutcome> out(mutants.size());
    std::mutex lock;
    parallel(mutants.size(), options.jobs, [&](std::size_t i) {
        const Mutant& m = *mutants[i];
        RunOptions o = options;
        o.proof.stop_at_failure = true;
        if (!escalate) {
            o.proof.max_rounds = o.proof.rounds;
        }
        o.max_counterexamples = 16;
        MutantOutcome& mo = out[i];
        mo.mutant = &m;
        // Killed by the first counterexample the concrete replay confirms on
        // one of the checks the mutant is expected to break.
        auto accept = [&](const Counterexample& c, const Replay& r) {
            if (!r.confirmed) {
                return false;
            }
            // A policy mutant is killed by the policy goal it targets, not
            // by an invariant its bug also breaks.
            const auto policy = [](const std::string& x) { return is_policy_goal(x); };
            if (std::all_of(m.expected_checks.begin(), m.expected_checks.end(), policy) &&
                std::find(m.expected_checks.begin(), m.expected_checks.end(), c.invariant) ==
                    m.expected_checks.end()) {
                return false;
            }
            std::string seen;
            bool expected = false;
            for (const auto& v : r.post) {
                seen += (seen.empty() ? "" : ", ") + v.check;
                expected = expected || std::find(m.expected_checks.begin(), m.expected_checks.end(),
                                                 v.check) != m.expected_checks.end();
            }
            if (expected) {
                mo.killed = true;
                mo.invariant = c.invariant;
                mo.checks = seen;
            }
            return expected;
        };
        mo.outcome = prove_one(m.spec, o, lock, accept);
        mo.outcome.name = m.name;
        if (options.on_done &&
            (escalate || mo.killed)) { // a survivor is reported once, after its second pass
            const std::lock_guard<std::mutex> g(lock);
            options.on_done(mo.outcome);
        }
    });
    return out;
}

void to_json(nlohmann::json& j, const HandlerOutcome& o) {
    j = nlohmann::json::object();
    j["handler"] = o.name;
    j["group"] = o.group;
    j["status"] = o.status();
    j["policy"] = policy_proved(o.proof); // every policy/... goal held
    j["paths"] = o.proof.paths;
    j["successful_paths"] = o.proof.ok_paths;
    j["end_states"] = o.proof.end_states;
    j["queries"] = o.proof.queries;
    j["skipped"] = o.proof.skipped;
    j["restored_arrays"] = o.proof.restored;
    j["seconds"] = o.proof.seconds;
    j["solver_seconds"] = o.proof.solver_seconds;
    j["solver_work"] = o.proof.solver_work;
    if (!o.proof.error.empty()) {
        j["error"] = o.proof.error;
    }
    j["seconds_by_goal"] = o.proof.seconds_by_invariant;
    j["non_vacuous_goals"] = o.proof.nonvacuous.size() - o.proof.vacuous.size();
    j["vacuous_goals"] = o.proof.vacuous;
    j["failures"] = nlohmann::json::array();
    for (const auto& f : o.proof.failures) {
        j["failures"].push_back({{"invariant", f.invariant},
                                 {"checks", f.checks},
                                 {"path", f.path},
                                 {"result", f.unknown ? "unknown" : "sat"},
                                 {"reason", f.reason}});
    }
    j["counterexamples"] = nlohmann::json::array();
    for (const auto& [c, r] : o.counterexamples) {
        nlohmann::json cj = c;
        auto& rj = cj["replay"];
        rj["built"] = r.built;
        rj["confirmed"] = r.confirmed;
        rj["summary"] = r.summary;
        rj["repairs"] = r.repairs;
        rj["rc"] = r.rc;
        for (const auto* v : {&r.pre, &r.post}) {
            auto& list = rj[v == &r.pre ? "before" : "after"];
            list = nlohmann::json::array();
            for (const auto& x : *v) {
                list.push_back({{"check", x.check}, {"detail", x.detail}});
            }
        }
        j["counterexamples"].push_back(std::move(cj));
    }
}

void to_json(nlohmann::json& j, const MutantOutcome& o) {
    j = nlohmann::json::object();
    j["mutant"] = o.mutant->name;
    j["advisory"] = o.mutant->advisory;
    j["handler"] = o.mutant->handler;
    j["bug"] = o.mutant->bug;
    j["expected_checks"] = o.mutant->expected_checks;
    j["killed"] = o.killed;
    j["broken_invariant"] = o.invariant;
    j["concrete_checks"] = o.checks;
    j["proof"] = o.outcome;
}

std::vector<std::string> write_counterexamples(const HandlerOutcome& o, const std::string& dir,
                                               const std::string& stem) {
    std::vector<std::string> files;
    std::filesystem::create_directories(dir);
    std::size_t n = 0;
    for (const auto& [c, r] : o.counterexamples) {
        const std::string base = dir + "/" + file_stem(stem) + "-" + std::to_string(++n);
        std::ofstream(base + ".dot") << render_dot(c, r);
        files.push_back(base + ".dot");
        nlohmann::json j = c;
        j["replay"] = {{"confirmed", r.confirmed}, {"summary", r.summary}};
        std::ofstream(base + ".json") << j.dump(2) << "\n";
        files.push_back(base + ".json");
        const std::string cmd = "dot -Tsvg '" + base + ".dot' -o '" + base + ".svg' 2>/dev/null";
        if (std::system(cmd.c_str()) == 0) {
            files.push_back(base + ".svg");
        }
    }
    return files;
}

} // namespace enso::verify
