#include "verify/state_writes.hpp"

#include <stdexcept>

namespace enso::verify {

namespace {

bool is_store(const z3::expr& e) {
    return e.is_app() && e.decl().decl_kind() == Z3_OP_STORE;
}

const std::vector<z3::expr>& none() {
    static const std::vector<z3::expr> empty;
    return empty;
}

// Indices stored between `after` and `before` (a store chain over it).
std::vector<z3::expr> stored_indices(const z3::expr& before, z3::expr after,
                                     const std::string& name) {
    std::vector<z3::expr> out;
    while (after.id() != before.id()) {
        if (!is_store(after)) {
            throw std::logic_error("verify: array " + name + " is not a store chain");
        }
        out.push_back(after.arg(1));
        after = after.arg(0);
    }
    return out;
}

} // namespace

bool StateWrites::wrote(const std::string& array) const {
    if (array == "mem") {
        return !words.empty() || !whole_frames.empty();
    }
    const auto it = indices.find(array);
    return it != indices.end() && !it->second.empty();
}

const std::vector<z3::expr>& StateWrites::of(const std::string& array) const {
    const auto it = indices.find(array);
    return it == indices.end() ? none() : it->second;
}

std::vector<Object> StateWrites::changed(ObjectKind k) const {
    std::vector<Object> out;
    auto add_all = [&](const char* array) {
        for (const auto& i : of(array)) {
            out.push_back({k, i, i});
        }
    };
    switch (k) {
    case ObjectKind::FrameHolds:
        add_all("frames.flags");
        break;
    case ObjectKind::Baseptr:
        add_all("doms.baseptr");
        break;
    case ObjectKind::Entry:
        for (const auto& [f, s] : words) {
            out.push_back({k, f, s});
        }
        break;
    case ObjectKind::ActiveGrant:
        add_all("grants.act_readers");
        add_all("grants.act_writers");
        add_all("grants.act_frame");
        break;
    case ObjectKind::Maptrack:
        add_all("grants.map_flags");
        add_all("grants.map_granter");
        add_all("grants.map_ref");
        break;
    case ObjectKind::OwnedFrame:
        add_all("frames.count");
        add_all("frames.owner");
        break;
    }
    return out;
}

StateWrites diff_states(const SState& before, const SState& after) {
    StateWrites w;
    const auto pre = state_arrays(before);
    const auto post = state_arrays(after);
    for (std::size_t k = 0; k < pre.size(); ++k) {
        const std::string& name = pre[k].first;
        if (name != "mem") {
            auto idx = stored_indices(pre[k].second, post[k].second, name);
            if (!idx.empty()) {
                w.indices[name] = std::move(idx);
            }
            continue;
        }
        // Memory: store(m, f, frame'); frame' is a store chain over the
        // old frame (words), or a new frame altogether (clear, copy).
        z3::expr m = post[k].second;
        while (m.id() != pre[k].second.id()) {
            if (!is_store(m)) {
                throw std::logic_error("verify: memory is not a store chain");
            }
            const z3::expr f = m.arg(1);
            z3::expr frame = m.arg(2);
            while (is_store(frame)) {
                w.words.emplace_back(f, frame.arg(1));
                frame = frame.arg(0);
            }
            if (!(frame.is_app() && frame.decl().decl_kind() == Z3_OP_SELECT)) {
                w.whole_frames.push_back(f);
            }
            m = m.arg(0);
        }
    }
    return w;
}

} // namespace enso::verify
