// Domain destroy, step by step. domain_destroy (hvcore/core) is a driver
// over per-item steps; the proofs are on the steps, each under what the
// driver guarantees when it runs it:
//   close every port, unmap every handle, drop the root, unpin
//                               evtchn_close, grant_unmap, clear_baseptr,
//                               unpin_table on a live domain: ordinary
//                               handlers, proved with the others
//   devalidate the tables      table work (release_entry x 512): not proved
//                               here, see verify/README.md
//   domain_release_shared_frames
//                               enters the destroy phase: the domain is
//                               dying but still owns allocated frames
//   release each owned frame   inside the phase
//   finish                     leaves the phase once it owns none
// The phase is a ghost (StateView::destroying): the one relaxation is that
// a dying domain being destroyed may still hold allocated frames.
#pragma once

#include "verify/handler_spec.hpp"

#include <vector>

namespace enso::verify {

std::vector<HandlerSpec> destroy_steps();

} // namespace enso::verify
