// enso verify: proves with Z3 that every hypercall handler keeps the
// isolation invariants (verify/), or checks that the seeded bugs are caught.
// One line per handler or mutant and a summary; the exit status is 0 only
// when everything asked for is proved (or, with --mutant, killed).
#include "cli/commands.hpp"
#include "verify/handler_catalog.hpp"
#include "verify/isolation_theorem.hpp"
#include "verify/mutants/mutant_catalog.hpp"
#include "verify/policy.hpp"
#include "verify/policy_goals.hpp"
#include "verify/verification_run.hpp"

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace enso::cli {

namespace {

struct VerifyOptions {
    std::vector<std::string> handlers;
    std::vector<std::string> skip;
    std::vector<std::string> mutants;
    bool list_mutants = false;
    bool list_handlers = false;
    bool policy = false;
    std::string json_file;
    std::string open_file;
    std::string dot_dir;
    unsigned jobs = 0; // 0: one per core, at most 2
    unsigned work_millions = verify::ProofOptions{}.work_millions;
    unsigned timeout_ms = verify::ProofOptions{}.timeout_ms;
    bool trace = false;
    bool count_paths = false;
};

unsigned default_jobs() {
    return std::max(1U, std::min(2U, std::thread::hardware_concurrency()));
}

// A progress line on a terminal, overwritten in place; nothing otherwise.
class Progress {
public:
    Progress() : tty_(::isatty(STDERR_FILENO) == 1) {}
    void show(const std::string& handler, std::size_t paths, std::size_t queries) {
        if (tty_) {
            fmt::print(stderr, "\r\033[K  ... {}: {} paths, {} queries", handler, paths, queries);
        }
    }
    void clear() {
        if (tty_) {
            fmt::print(stderr, "\r\033[K");
        }
    }

private:
    bool tty_;
};

std::string failure_note(const verify::HandlerOutcome& o) {
    std::string note;
    for (const auto& f : o.proof.failures) {
        if (note.find(f.invariant) == std::string::npos) {
            note += (note.empty() ? "" : ", ") + f.invariant + (f.unknown ? " (gave up)" : "");
        }
    }
    if (!o.proof.error.empty()) {
        note = o.proof.error;
    }
    return note;
}

void write_json(const std::string& file, const nlohmann::json& j) {
    std::ofstream out(file);
    if (!out) {
        throw std::runtime_error("cannot write " + file);
    }
    out << j.dump(2) << "\n";
}

int list_mutants() {
    fmt::print("Seeded bugs (hvcore/core/mutation.hpp): each a catalogue handler run with one "
               "mutation point of the core switched on\n");
    for (const auto& m : verify::mutant_catalog()) {
        fmt::print("  {:<36} {:<34} {}\n  {:<36} {}\n", m.name, m.advisory, m.handler, "", m.bug);
    }
    for (const auto& p : verify::pending_mutants()) {
        if (p.held_back.empty()) {
            fmt::print("  {:<36} waits for catalogue handler {}\n", p.name, p.handler);
        } else {
            fmt::print("  {:<36} held back ({}): {}\n", p.name, p.handler, p.held_back);
        }
    }
    return 0;
}

int list_handlers() {
    for (const auto& h : verify::handler_catalog()) {
        fmt::print("  {:<32} {:<7} {}\n", h.name, h.group, h.summary);
    }
    return 0;
}

int run_mutants(const VerifyOptions& vo, verify::RunOptions ro, Progress& progress) {
    std::vector<const verify::Mutant*> picked;
    for (const auto& name : vo.mutants) {
        if (name == "all") {
            for (const auto& m : verify::mutant_catalog()) {
                picked.push_back(&m);
            }
        } else if (const auto* m = verify::find_mutant(name)) {
            picked.push_back(m);
        } else {
            fmt::print(stderr, "enso verify: no mutant {} (see --list-mutants)\n", name);
            return 2;
        }
    }
    ro.on_done = [&](const verify::HandlerOutcome& o) {
        progress.clear();
        fmt::print("  finished {:<36} {:>5} paths {:>8.1f} s\n", o.name, o.proof.paths,
                   o.proof.seconds);
        std::fflush(stdout);
    };
    const auto start = std::chrono::steady_clock::now();
    const auto out = verify::run_mutants(picked, ro);
    progress.clear();
    std::size_t killed = 0;
    nlohmann::json j = {{"mutants", nlohmann::json::array()}};
    fmt::print("\n  {:<36} {:<34} {:<8} {}\n", "mutant", "advisory", "result", "broken invariant");
    for (const auto& m : out) {
        killed += m.killed ? 1 : 0;
        fmt::print("  {:<36} {:<34} {:<8} {}\n", m.mutant->name, m.mutant->advisory,
                   m.killed ? "killed" : "SURVIVED",
                   m.killed ? m.invariant + " (concrete: " + m.checks + ")"
                            : failure_note(m.outcome));
        j["mutants"].push_back(m);
        if (!vo.dot_dir.empty()) {
            verify::write_counterexamples(m.outcome, vo.dot_dir, m.mutant->name);
        }
    }
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    fmt::print("\nenso verify: {}/{} mutants killed ({:.0f}%) in {:.1f} s\n", killed, out.size(),
               out.empty() ? 0.0
                           : 100.0 * static_cast<double>(killed) / static_cast<double>(out.size()),
               secs);
    j["killed"] = killed;
    j["total"] = out.size();
    j["seconds"] = secs;
    if (!vo.json_file.empty()) {
        write_json(vo.json_file, j);
    }
    return killed == out.size() ? 0 : 1;
}

// Obligations known not to be proved yet, by handler (--open FILE:
// {"open": {"<handler>": {"goals": [...], "reason": "..."}}}). A handler that
// fails only on goals listed for it is reported OPEN, with the reason, and
// does not fail the run; any other failure does.
struct OpenObligation {
    std::set<std::string> goals;
    std::string reason;
};
std::map<std::string, OpenObligation> load_open(const std::string& path) {
    std::map<std::string, OpenObligation> out;
    if (path.empty()) {
        return out;
    }
    std::ifstream in(path);
    if (!in) {
        throw std::runtime_error("cannot read " + path);
    }
    const auto j = nlohmann::json::parse(in, nullptr, false);
    if (j.is_discarded() || !j.contains("open") || !j["open"].is_object()) {
        throw std::runtime_error(path + ": not JSON with an \"open\" object");
    }
    for (const auto& [handler, o] : j["open"].items()) {
        if (verify::find_handler(handler) == nullptr) {
            throw std::runtime_error(path + ": no handler " + handler + " (see --list)");
        }
        OpenObligation ob;
        for (const auto& g : o.at("goals")) {
            ob.goals.insert(g.get<std::string>());
        }
        ob.reason = o.value("reason", "");
        out[handler] = std::move(ob);
    }
    return out;
}

bool only_open_goals_fail(const verify::HandlerOutcome& o,
                          const std::map<std::string, OpenObligation>& open) {
    const auto it = open.find(o.name);
    if (it == open.end() || !o.proof.error.empty() || !o.proof.vacuous.empty() ||
        o.proof.ok_paths == 0 || o.proof.explored_only || o.proof.failures.empty()) {
        return false;
    }
    return std::all_of(o.proof.failures.begin(), o.proof.failures.end(),
                       [&](const auto& f) { return it->second.goals.contains(f.invariant); });
}

int run_handlers(const VerifyOptions& vo, verify::RunOptions ro, Progress& progress) {
    std::map<std::string, OpenObligation> open;
    try {
        open = load_open(vo.open_file);
    } catch (const std::exception& e) {
        fmt::print(stderr, "enso verify: {}\n", e.what());
        return 2;
    }
    std::vector<const verify::HandlerSpec*> picked;
    for (const auto& name : vo.skip) {
        if (verify::find_handler(name) == nullptr) {
            fmt::print(stderr, "enso verify: no handler {} to skip (see --list)\n", name);
            return 2;
        }
    }
    if (vo.handlers.empty()) {
        for (const auto& h : verify::handler_catalog()) {
            if (std::find(vo.skip.begin(), vo.skip.end(), h.name) == vo.skip.end()) {
                picked.push_back(&h);
            }
        }
    }
    for (const auto& name : vo.handlers) {
        const auto* h = verify::find_handler(name);
        if (h == nullptr) {
            fmt::print(stderr, "enso verify: no handler {} (see --list)\n", name);
            return 2;
        }
        picked.push_back(h);
    }
    // "states": the distinct post-states the paths end in, each proved once.
    fmt::print("  {:<32} {:>6} {:>6} {:>8}  {:<8} {}\n", "handler", "paths", "states", "time",
               "result", "");
    ro.on_done = [&](const verify::HandlerOutcome& o) {
        progress.clear();
        const bool known_open = !o.proved() && only_open_goals_fail(o, open);
        fmt::print("  {:<32} {:>6} {:>6} {:>7.1f}s  {:<8} {}{}\n", o.name, o.proof.paths,
                   o.proof.end_states, o.proof.seconds, known_open ? "OPEN" : o.status(),
                   o.proved() ? "" : failure_note(o),
                   known_open ? " (listed open: " + open.at(o.name).reason + ")" : "");
        std::fflush(stdout);
    };
    const auto start = std::chrono::steady_clock::now();
    const auto out = verify::run_handlers(picked, ro);
    progress.clear();
    std::size_t proved = 0;
    std::size_t policy = 0; // handlers whose policy goals all hold
    std::size_t paths = 0;
    std::size_t states = 0;
    double cpu = 0;
    double work = 0;
    std::size_t goals = 0;   // obligations checked for non-vacuity
    std::size_t vacuous = 0; // ... proved only vacuously
    nlohmann::json j = {{"handlers", nlohmann::json::array()}};
    std::size_t known_open = 0; // failed only on obligations listed open
    for (const auto& o : out) {
        proved += o.proved() ? 1 : 0;
        known_open += !o.proved() && only_open_goals_fail(o, open) ? 1 : 0;
        if (o.proved() && open.contains(o.name)) {
            fmt::print("  note: {} is proved now; take it out of {}\n", o.name, vo.open_file);
        }
        policy += verify::policy_proved(o.proof) ? 1 : 0;
        goals += o.proof.nonvacuous.size();
        vacuous += o.proof.vacuous.size();
        paths += o.proof.paths;
        states += o.proof.end_states;
        cpu += o.proof.seconds;
        work += o.proof.solver_work;
        j["handlers"].push_back(o);
        if (!vo.dot_dir.empty()) {
            verify::write_counterexamples(o, vo.dot_dir, o.name);
        }
    }
    // The whole catalogue also gets the isolation theorem and the check
    // that the invariants are satisfiable (so no proof above is vacuous).
    bool theorems_hold = true;
    if (vo.handlers.empty()) {
        j["theorems"] = nlohmann::json::array();
        auto theorems = verify::prove_isolation();
        theorems.push_back(verify::invariants_satisfiable());
        fmt::print("\n");
        for (const auto& t : theorems) {
            theorems_hold = theorems_hold && t.holds;
            fmt::print("  {:<39} {:>7.1f}s  {:<8} {}\n", t.name, t.seconds,
                       t.holds ? "proved" : "FAILED", t.statement);
            j["theorems"].push_back({{"name", t.name},
                                     {"statement", t.statement},
                                     {"holds", t.holds},
                                     {"solver_result", t.solver_result},
                                     {"seconds", t.seconds}});
        }
    }
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    // The work count does not vary with the machine's load: compare runs by it.
    fmt::print("\nenso verify: {}/{} handlers proved (policy: {}/{} handlers), {} paths ending in "
               "{} states, {:.1f} s ({:.1f} s of proving on {} thread(s); z3 work {:.0f}M); {}/{} "
               "obligations non-vacuous on a successful path{}\n",
               proved, out.size(), policy, out.size(), paths, states, secs, cpu, ro.jobs,
               work / 1e6, goals - vacuous, goals,
               theorems_hold ? "" : "; the isolation theorem or a sanity check FAILED");
    if (!vo.skip.empty()) {
        std::string names;
        for (const auto& n : vo.skip) {
            names += (names.empty() ? "" : ", ") + n;
        }
        fmt::print("enso verify: NOT verified in this run (--skip): {}\n", names);
        j["skipped_handlers"] = vo.skip;
    }
    j["proved"] = proved;
    j["policy_proved"] = policy;
    j["total"] = out.size();
    j["non_vacuous_obligations"] = goals - vacuous;
    j["obligations"] = goals;
    j["seconds"] = secs;
    j["proving_seconds"] = cpu;
    j["solver_work"] = work;
    j["open"] = known_open;
    if (!vo.json_file.empty()) {
        write_json(vo.json_file, j);
    }
    if (!vo.open_file.empty()) {
        fmt::print("enso verify: {} handler(s) with obligations listed open in {}\n", known_open,
                   vo.open_file);
    }
    return proved + known_open == out.size() && theorems_hold ? 0 : 1;
}

} // namespace

void add_verify_command(CLI::App& app, Action& action) {
    auto opts = std::make_shared<VerifyOptions>();
    auto* sub = app.add_subcommand(
        "verify", "prove with Z3 that every hypercall handler keeps the isolation invariants");
    sub->footer(
        "Without --handler: every handler of --list, then the isolation theorem and the check "
        "that the invariants are satisfiable. Exit status: 0 only when everything asked for is "
        "proved (with --mutant: killed, by a counterexample the concrete replay confirms), 1 "
        "otherwise, 2 on bad input. Progress goes to stderr when it is a terminal. Paths that "
        "end in the same state (the same terms) are proved once, under the disjunction of their "
        "conditions: the 692 paths of the catalogue end in 151 states (--count-paths), and each "
        "handler's states are split over the --jobs threads; --trace shows where the time goes. "
        "Seconds vary with the machine's load; the z3 work count in the summary and the JSON "
        "repeats exactly (each handler is proved in a fresh z3 context, and a query is bounded "
        "by --work-limit, not by time): equal counts mean z3 was asked the same queries, and a "
        "verdict does not depend on the machine's speed or load. Between builds that ask different "
        "queries the count is no measure of time: compare user time over interleaved runs.");
    sub->add_option("--handler", opts->handlers, "only this handler (repeatable; see --list)");
    sub->add_option("--skip", opts->skip,
                    "leave this handler out of the full run (repeatable); the summary names it");
    sub->add_option("--mutant", opts->mutants,
                    "check that this seeded bug is caught instead ('all' for every one); exit 0 "
                    "only if each is killed");
    sub->add_flag("--list-mutants", opts->list_mutants, "list the seeded bugs and exit");
    sub->add_flag("--list", opts->list_handlers, "list the handlers and exit");
    sub->add_flag("--policy", opts->policy,
                  "print the security policy the policy goals prove, and exit");
    sub->add_option("--json", opts->json_file, "write the results as JSON to this file");
    sub->add_option("--open", opts->open_file,
                    "obligations known not to be proved yet (verify/open-obligations.json): a "
                    "handler failing only on goals listed for it is reported OPEN with the "
                    "reason and does not fail the run");
    sub->add_option("--dot", opts->dot_dir,
                    "write each counterexample to this directory as .dot, .svg and .json");
    sub->add_option("--jobs", opts->jobs,
                    "threads, each with its own z3 context: every handler's end states are split "
                    "over them, mutants run side by side (default: cores, at most 2)");
    sub->add_option("--work-limit", opts->work_millions,
                    "per-query bound on z3's work, in millions of its resource units: what a "
                    "query may spend before it counts as unknown, the same on any machine "
                    "(0: none)")
        ->capture_default_str();
    sub->add_option("--timeout", opts->timeout_ms,
                    "per-query wall-clock backstop in ms, for work z3 does not count (0: none)")
        ->capture_default_str();
    sub->add_flag(
        "--trace", opts->trace,
        "one line per solver query on stderr (goal, result, facts, seconds, z3 work in millions "
        "of resource units): where time goes");
    sub->add_flag("--count-paths", opts->count_paths,
                  "explore every feasible path of each handler, count them and the states they end "
                  "in; prove nothing");
    sub->callback([&action, opts] {
        action = [opts] {
            if (opts->list_mutants) {
                return list_mutants();
            }
            if (opts->list_handlers) {
                return list_handlers();
            }
            if (opts->policy) {
                fmt::print("{}", verify::format_policy());
                return 0;
            }
            verify::RunOptions ro;
            ro.jobs = opts->jobs == 0 ? default_jobs() : opts->jobs;
            ro.proof.work_millions = opts->work_millions;
            ro.proof.timeout_ms = opts->timeout_ms;
            ro.proof.trace = opts->trace;
            ro.proof.explore_only = opts->count_paths;
            auto progress = std::make_shared<Progress>();
            ro.on_progress = [progress](const std::string& h, std::size_t p, std::size_t q) {
                progress->show(h, p, q);
            };
            if (!opts->mutants.empty()) {
                return run_mutants(*opts, ro, *progress);
            }
            return run_handlers(*opts, ro, *progress);
        };
    });
}

} // namespace enso::cli
