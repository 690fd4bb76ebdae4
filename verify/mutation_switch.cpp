// The thread's active seeded bug (mutation_switch.hpp).
#include "verify/mutation_switch.hpp"

namespace enso::verify {

namespace {
thread_local core::Mutation active = core::Mutation::kNone;
} // namespace

core::Mutation active_mutation() {
    return active;
}

MutationScope::MutationScope(core::Mutation m) : outer_(active) {
    active = m;
}

MutationScope::~MutationScope() {
    active = outer_;
}

} // namespace enso::verify
