// Enso's own targets from issues #3 (hypercalls) and #5 (block I/O), each
// checked against this run: met, missed, or not measured.
#pragma once

#include "reports/claim_check.hpp"

#include <vector>

namespace enso::reports {

std::vector<ClaimCheck> check_enso_targets(const std::vector<TwinGroup>& groups);

} // namespace enso::reports
