// The owed-TLB-flush goals of one end state: every access a call withdraws
// from a domain that will run again, and a stale translation could still
// use, comes with kEffectTlbFlush for that domain; and a flush already owed
// is never dropped before the platform carries it out.
//
// What a domain x may reach through its translations, read from the state
// the core keeps (no ghost of the TLB itself):
//   - every frame x owns (its tables may map any of them); writably only
//     one typed writable (only those take writable mappings, and the type
//     stays writable at type count zero while a stale mapping may remain);
//     walked as a page table only a validated table;
//   - the frame of every grant x maps through a PTE (maptrack, kMapPte),
//     writably if the map is not read-only.
// A call withdraws access when, for a domain live after it, one of these
// held before and no longer holds after: x's frame leaves it (released,
// freed), stops being typed writable (a table or descriptor type now),
// stops being the validated table of its level, or a PTE map of x ends,
// loses writing or names another frame. A change x makes to its own PTEs
// withdraws nothing (the frame is still its own; the guest flushes itself,
// as in Xen), and a domain that is not live after the call never runs
// again. kEffectMemslots does not count as a flush: the memory slots are
// this platform's (hvcore/kvm), not the core's contract with every
// platform.
#pragma once

#include "verify/path_context.hpp"
#include "verify/proof_goals.hpp"

#include <string>
#include <vector>

namespace enso::verify {

// Appends the goals (named "flush/...") of the path: flush/owed for frames
// and for grant maps, flush/kept for effects the path stored.
void add_flush_goals(const PathContext& path, std::vector<Goal>& goals);

[[nodiscard]] bool is_flush_goal(const std::string& name);

} // namespace enso::verify
