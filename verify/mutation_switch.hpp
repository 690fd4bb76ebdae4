// Which seeded bug (hvcore/core/mutation.hpp) is switched on in this thread:
// none, except while a mutant's handler runs inside a MutationScope. The
// symbolic domain and the replay's concrete domain read it; the running
// core's domain never does.
#pragma once

#include "hvcore/core/mutation.hpp"

namespace enso::verify {

core::Mutation active_mutation();

// Switches mutation m on in this thread until the scope ends.
class MutationScope {
public:
    explicit MutationScope(core::Mutation m);
    ~MutationScope();
    MutationScope(const MutationScope&) = delete;
    MutationScope& operator=(const MutationScope&) = delete;

private:
    core::Mutation outer_;
};

} // namespace enso::verify
