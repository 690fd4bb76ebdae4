// The sentences both writers share, so the HTML page and report.md say the
// same thing: the headline summary, what each measurement's spread is, and
// how to read the tables.
#pragma once

#include "reports/report_model.hpp"

#include <string>
#include <vector>

namespace enso::reports {

// What the headline rests on (or why there is none) and what was skipped;
// the figures themselves are the key figures (key_figures.hpp).
std::vector<std::string> headline_sentences(const ReportModel& model);

// The spread of one run's time: "IQR 812–830 ns", "cv 1.2 %", or "".
std::string run_spread(const BenchmarkRun& run);

// Notable user counters of a run, compact: "exits_per_op 1, MBps 812".
std::string run_counters(const BenchmarkRun& run);

// How the figures were computed: spread, significance, pairing.
std::vector<std::string> method_notes(const ReportModel& model);

// How a ratio cell is shaded: "good", "fair" or "poor", by what the twin
// is. Crossing a VM boundary always costs something against an in-process
// call, so the bands follow Enso's targets: native within 5% good (50%
// fair), floor within 10% (2×), in-process within 3× (10×).
std::string ratio_grade(double ratio, Role baseline);

// What the XTF section shows: where the runs come from (environment,
// transport, time, file), and what its exits and exceptions columns count.
std::string xtf_intro(const XtfSummary& xtf);
// The heading of one run among several: "Over the exitless transport".
std::string xtf_run_title(const XtfSummary& xtf);
std::string xtf_columns_note();

} // namespace enso::reports
