// Confirmed published figures (Xen's SOSP 2003 paper, Firecracker's
// specification) and the platform costs measured by hand while designing
// Enso, each beside the figure of this run that stands in for it. The
// stand-ins are analogues, not the same experiment, and the report says
// which.
#pragma once

#include "reports/claim_check.hpp"

#include <vector>

namespace enso::reports {

std::vector<ClaimCheck> check_published_claims(const std::vector<TwinGroup>& groups);

} // namespace enso::reports
