// A seeded bug: a modified copy of one handler template, compiled only into
// the verifier (verify/mutants/), never into the core. Each mirrors a class
// of Xen Security Advisory and names the concrete checks a
// counterexample against it must make the concrete checker report.
#pragma once

#include "verify/handler_spec.hpp"

#include <string>
#include <vector>

namespace enso::verify {

struct Mutant {
    std::string name;     // e.g. "xsa182_fast_path_rw"
    std::string advisory; // e.g. "XSA-182"
    std::string handler;  // the handler it is a copy of
    std::string bug;      // what the copy does wrong, and what the advisory was
    std::vector<std::string> expected_checks;
    HandlerSpec spec;
};

} // namespace enso::verify
