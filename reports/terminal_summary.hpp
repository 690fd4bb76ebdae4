// The headline as plain text for a terminal: what `enso run` prints at the
// end and `enso report` after writing the files.
#pragma once

#include "reports/report_model.hpp"

#include <string>

namespace enso::reports {

std::string terminal_summary(const ReportModel& model);

} // namespace enso::reports
