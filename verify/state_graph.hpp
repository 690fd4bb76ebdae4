// Draws a counterexample with Graphviz: the state before and after the
// handler, side by side, around the frames and domains the counterexample
// involves. Domains are boxes, frames ellipses (page tables labelled with
// their level); page-table edges are marked R or RW, grant maps and base
// pointers have edges of their own, and what the concrete checker reports
// after the handler is drawn in red.
#pragma once

#include "verify/concrete_replay.hpp"
#include "verify/counterexample.hpp"

#include <string>

namespace enso::verify {

std::string render_dot(const Counterexample& c, const Replay& r);

} // namespace enso::verify
