// The seeded bugs (see mutant.hpp): one line each in mutant_catalog.cpp,
// naming a mutation point of the core and the catalogue handler that
// reaches it. Only the verifier links them.
#pragma once

#include "verify/mutant.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace enso::verify {

// One seeded bug as listed, whether or not its handler is in the catalogue.
struct MutantEntry {
    core::Mutation mutation;
    std::string name;
    std::string advisory;
    std::string handler;
    std::vector<std::string> expected_checks;
    // Set while a kill cannot be confirmed yet: the reason. Listed, not run.
    std::string held_back = {};
};

const std::vector<MutantEntry>& mutant_entries();

// The entries whose handler the catalogue has, ready to run.
const std::vector<Mutant>& mutant_catalog();
const Mutant* find_mutant(std::string_view name);

// The entries whose handler is not in the catalogue (yet), or that are held
// back with a reason: listed, not run.
std::vector<MutantEntry> pending_mutants();

// The catalogue handler `handler` with mutation m switched on around every
// run, symbolic and concrete.
HandlerSpec mutated_spec(const HandlerSpec& handler, core::Mutation m);

} // namespace enso::verify
