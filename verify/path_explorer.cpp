#include "verify/path_explorer.hpp"

namespace enso::verify {

namespace {
thread_local Explorer* g_current = nullptr;
} // namespace

Explorer::Explorer(z3::context& ctx) : ctx_(ctx), solver_(ctx) {}

Explorer& Explorer::current() {
    if (g_current == nullptr) {
        throw std::logic_error("a symbolic branch outside Explorer::explore");
    }
    return *g_current;
}

void Explorer::assume(const z3::expr& fact) {
    assumptions_.push_back(fact);
    solver_.add(fact);
}

bool Explorer::decide(const z3::expr& cond) {
    const z3::expr c = cond.simplify();
    if (depth_ < prefix_.size()) {
        const bool d = prefix_[depth_++];
        taken_.push_back(d ? c : !c);
        return d;
    }
    // A new branch: try each side under this path's condition so far.
    auto feasible = [&](const z3::expr& side) {
        if (side.is_true()) {
            return true;
        }
        if (side.is_false()) {
            return false;
        }
        solver_.push();
        for (const auto& t : taken_) {
            solver_.add(t);
        }
        solver_.add(side);
        const bool sat = solver_.check() != z3::unsat;
        solver_.pop();
        return sat;
    };
    const bool can_true = feasible(c);
    const bool can_false = feasible(!c);
    bool d = can_true;
    if (can_true && can_false) {
        std::vector<bool> alternative = prefix_;
        alternative.push_back(false);
        pending_.push_back(std::move(alternative));
    }
    prefix_.push_back(d);
    ++depth_;
    taken_.push_back(d ? c : !c);
    return d;
}

namespace {
// `first` && each of `more`, in order.
z3::expr and_all(z3::expr first, const std::vector<z3::expr>& more) {
    for (const auto& e : more) {
        first = first && e;
    }
    return first;
}
} // namespace

z3::expr Explorer::assumptions() const {
    return and_all(ctx_.bool_val(true), assumptions_);
}

z3::expr Explorer::decisions() const {
    return and_all(ctx_.bool_val(true), taken_);
}

z3::expr Explorer::path_condition() const {
    return and_all(assumptions(), taken_);
}

std::size_t Explorer::explore(const std::function<void()>& path, std::size_t max_paths) {
    Explorer* outer = g_current;
    g_current = this;
    pending_.assign(1, {});
    runs_ = 0;
    try {
        while (!pending_.empty()) {
            if (runs_ == max_paths) {
                throw PathBoundExceeded(max_paths);
            }
            prefix_ = std::move(pending_.back());
            pending_.pop_back();
            taken_.clear();
            depth_ = 0;
            path();
            ++runs_;
        }
    } catch (...) {
        g_current = outer;
        throw;
    }
    g_current = outer;
    return runs_;
}

} // namespace enso::verify
