// A seeded bug: the real handler of the catalogue run with one mutation
// point of the core switched on (hvcore/core/mutation.hpp), in the proof and
// in the concrete replay alike. Each names the concrete checks a
// counterexample against it must make the concrete checker report.
#pragma once

#include "hvcore/core/mutation.hpp"
#include "verify/handler_spec.hpp"

#include <string>
#include <vector>

namespace enso::verify {

struct Mutant {
    std::string name;     // the bug class, e.g. "bind_connected_port"
    std::string advisory; // the Xen Security Advisory it reproduces, or "similar to XSA-N"
    std::string handler;  // the catalogue handler it runs
    std::string bug;      // what the mutation plants (mutation.hpp)
    std::vector<std::string> expected_checks;
    HandlerSpec spec; // the handler's spec, run with `mutation` on
    core::Mutation mutation = core::Mutation::kNone;
};

} // namespace enso::verify
