// What one end state's queries are about: the pre- and post-state seen
// through StateView, the condition of the paths that reach it, and what
// they wrote.
#pragma once

#include "verify/handler_spec.hpp"
#include "verify/reference_counts.hpp"
#include "verify/state_view.hpp"
#include "verify/state_writes.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace enso::verify {

struct PathContext {
    // `before`, `after`, `witness` and `args` must outlive the context.
    PathContext(const HandlerSpec& handler, const SState& pre_state, const SState& after,
                const z3::expr& witness, const Args<Symbolic>& arguments, z3::expr paths_condition,
                std::size_t first_path, bool succeeded = true);

    const HandlerSpec& spec;
    const SState& before;
    const Args<Symbolic>& args;
    z3::expr condition; // of every path that ends here
    // ... of those of them that return ok (none: no path here does); for
    // the non-vacuity check (vacuity_check.hpp).
    std::optional<z3::expr> ok_condition;
    std::size_t path; // the first of them: names traces, dumps and counterexamples
    StateWrites writes;
    StateView pre;
    StateView post;

    // The table-work ghost (HandlerSpec::progress_after), if the step has one.
    void add_progress(bool succeeded);

    // The objects the path stored to, of one kind and of a family's kinds.
    [[nodiscard]] const std::vector<Object>& changed(ObjectKind k) const;
    [[nodiscard]] std::vector<Object> changed(const CountFamily& f) const;
    // "<handler>-<path>-<query>": a query's name in dumps.
    [[nodiscard]] std::string query_name(const std::string& query) const;

private:
    std::vector<std::vector<Object>> changed_; // by ObjectKind
};

} // namespace enso::verify
