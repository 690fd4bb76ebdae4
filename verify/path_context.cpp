// What one end state's queries are about (path_context.hpp).
#include "verify/path_context.hpp"

#include <algorithm>
#include <array>

namespace enso::verify {

namespace {

constexpr std::array<ObjectKind, 6> kKinds = {ObjectKind::FrameHolds, ObjectKind::Baseptr,
                                              ObjectKind::Entry,      ObjectKind::ActiveGrant,
                                              ObjectKind::Maptrack,   ObjectKind::OwnedFrame};

// The domain a destroy step tears down (argument 0), inside that phase.
z3::expr destroying(HandlerSpec::Phase phase, const Args<Symbolic>& args) {
    if (phase == HandlerSpec::Phase::Destroying) {
        return z3::zext(args.raw(0), 16);
    }
    return bv(StateView::kNoDomain, 32);
}

} // namespace

PathContext::PathContext(const HandlerSpec& handler, const SState& pre_state, const SState& after,
                         const z3::expr& witness, const Args<Symbolic>& arguments,
                         z3::expr paths_condition, std::size_t first_path, bool succeeded)
    : spec(handler), before(pre_state), args(arguments), condition(std::move(paths_condition)),
      path(first_path), writes(diff_states(pre_state, after)),
      pre(pre_state, witness, destroying(handler.phase_before, arguments)),
      post(after, witness, destroying(handler.phase_after, arguments)) {
    // The post-state's grant PTEs may be recorded by any maptrack entry the
    // path wrote, besides the one the ghost witness names.
    post.extra_witnesses = writes.of("grants.map_flags");
    add_progress(succeeded);
    for (const auto k : kKinds) {
        changed_.push_back(writes.changed(k));
    }
}

void PathContext::add_progress(bool succeeded) {
    if (!spec.progress_after) {
        return;
    }
    const z3::expr ghost = StateView::progress_ghost();
    pre.set_progress(ghost);
    post.set_progress(spec.progress_after(ghost, args, succeeded));
    if (spec.progress_word && succeeded) {
        auto [f, i] = spec.progress_word(args);
        const bool stored =
            std::any_of(writes.words.begin(), writes.words.end(), [&](const auto& w) {
                return w.first.id() == f.id() && w.second.id() == i.id();
            });
        if (!stored) {
            writes.words.emplace_back(f, i);
        }
    }
}

const std::vector<Object>& PathContext::changed(ObjectKind k) const {
    return changed_[static_cast<std::size_t>(k)];
}

std::vector<Object> PathContext::changed(const CountFamily& f) const {
    std::vector<Object> out;
    for (const auto k : f.kinds) {
        const auto& c = changed(k);
        out.insert(out.end(), c.begin(), c.end());
    }
    return out;
}

std::string PathContext::query_name(const std::string& query) const {
    return spec.name + "-" + std::to_string(path) + "-" + query;
}

} // namespace enso::verify
