// Table work, step by step: the per-entry steps of hvcore/core/table_work.hpp
// as catalogue entries, each proved under what the driver guarantees when it
// runs it. A ghost progress P (frame -> 16 bits, zero outside table work)
// says how far each table's work has come:
//   validation of f      begin sets P[f] = 1; entry k (k = P[f] - 1) takes
//                        its references, P[f] + 1; at P[f] = 513 end (ok)
//                        sets kFrameValidated and P[f] = 0. On a failed entry
//                        the driver releases the entries taken, last first
//                        (P[f] - 1 each), and at P[f] = 1 end (failed)
//                        returns the frame to no type, P[f] = 0.
//   devalidation of f    f stays validated; release of entry k = P[f],
//                        P[f] + 1; at P[f] = 512 end clears the type, P[f] = 0.
// While P[f] is not zero the words of f that count as entries (for the
// invariants and the exact reference counts) are those the work has taken
// and not yet released (StateView::table_word_live). With P zero that is
// exactly "a word of a validated table": the state the handlers see.
//
// A handler path that returns kNeedsTableWork is proved to leave a request
// the steps start from (table_work_request_goal), and each step is proved
// to keep the invariants, the exact counts and the ghost's own invariant.
// The steps compose as the driver runs them: begin, 512 x entry, end (or
// the undo releases and a failed end), with nested work (an entry that
// needs its target validated or devalidated) run in between, which never
// touches the outer table's progress.
#pragma once

#include "verify/handler_spec.hpp"
#include "verify/path_context.hpp"
#include "verify/proof_goals.hpp"

#include <cstdint>
#include <vector>

namespace enso::verify {

std::vector<HandlerSpec> table_work_steps();

// The goal that the path (which returned kNeedsTableWork with request
// `work`) asks for work the steps start from: validation of an allocated
// frame of no page-table type as a page-table type, or devalidation of a
// validated table with no type references and no work under way.
Goal table_work_request_goal(const PathContext& path, std::uint8_t work);

} // namespace enso::verify
