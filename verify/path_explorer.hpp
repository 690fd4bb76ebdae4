// Forks by re-execution: a handler runs over symbolic values; each time it
// branches on a symbolic condition the explorer decides the branch (taking a
// recorded decision when replaying a prefix), and remembers the untried side
// of every branch where both sides are feasible. explore() re-runs the
// handler from scratch until every feasible path was taken once.
#pragma once

#include <cstddef>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>
#include <z3++.h>

namespace enso::verify {

class Explorer {
public:
    explicit Explorer(z3::context& ctx);

    // Constraints every path starts from (arguments in range, the
    // invariants' quantifier-free consequences, ...).
    void assume(const z3::expr& fact);

    // Called by SymBool's conversion to bool: which way this path goes.
    bool decide(const z3::expr& cond);

    // The conjunction of this path's decisions (and the assumptions).
    [[nodiscard]] z3::expr path_condition() const;
    // The parts of it: the assumptions every path shares, and this path's
    // decisions alone.
    [[nodiscard]] z3::expr assumptions() const;
    [[nodiscard]] z3::expr decisions() const;

    // Runs `path` once per feasible path, at most max_paths times; returns
    // how many paths there were. Throws PathBoundExceeded past the bound.
    std::size_t explore(const std::function<void()>& path, std::size_t max_paths);

    z3::context& ctx() { return ctx_; }

    // The number of the path being run (0-based), during explore().
    [[nodiscard]] std::size_t current_path() const { return runs_; }

    // The explorer that SymBool consults on this thread (set by explore()).
    static Explorer& current();

private:
    z3::context& ctx_;
    z3::solver solver_;
    std::vector<z3::expr> assumptions_;
    std::vector<bool> prefix_;    // decisions to replay on this run
    std::vector<z3::expr> taken_; // the conditions as decided on this run
    std::size_t depth_ = 0;
    std::size_t runs_ = 0;
    std::vector<std::vector<bool>> pending_; // prefixes still to run
};

struct PathBoundExceeded : std::runtime_error {
    explicit PathBoundExceeded(std::size_t bound)
        : std::runtime_error("handler has more than " + std::to_string(bound) + " paths") {}
};

} // namespace enso::verify
