// The guest step as a catalogue entry: a domain stores any value in any word
// of a frame it can write (core::guest_write_word: its own frames typed
// writable, among them its shared_info and grant-table frames, and frames it
// maps writable through a grant while the map is in place). Proved like a
// handler: from any state that satisfies the invariants, the store keeps
// every invariant and every exact count. This is what makes the proofs hold
// for the machine with its guests running, not only for the hypercalls.
#pragma once

#include "verify/handler_spec.hpp"

namespace enso::verify {

HandlerSpec guest_step();

} // namespace enso::verify
