// The security policy as one table: for a call by domain d, what of any
// other domain e the call may change, and when. Whatever of e no row
// names must stay as it was (policy_goals.hpp proves it per handler).
#pragma once

#include <string>
#include <vector>

namespace enso::verify {

// What e observes: its frames' owner, flags, counts and type; its memory
// words (page tables, grant entries, shared_info, data); its domain record;
// its active grant entries and maptrack; its ports.
enum class Observable {
    FrameOwnership, // frames.owner, frames.flags of e's frames
    FrameCounts,    // frames.count, frames.type, frames.type_count of e's frames
    GrantEntry,     // words of e's grant-table frames
    SharedInfo,     // words of e's shared_info frame
    Memory,         // words of e's other frames (page tables, data)
    DomainRecord,   // doms.* at e (and e's grant-frame list)
    ActiveGrant,    // grants.act_* of e's grant references
    Maptrack,       // grants.map_* of e's handles
    Port,           // evtchn.* of e's ports
};

struct PolicyRow {
    const char* id; // names the rule in goal names and counterexamples
    Observable what;
    const char* change;    // what may change
    const char* handlers;  // the handlers that make it
    const char* condition; // when
    const char* reason;    // one line: why it is allowed
};

// Every allowed change of another domain's state, and for each observable
// without one, a row with id "none". Policy goals use the ids.
const std::vector<PolicyRow>& policy_table();

const char* observable_name(Observable o);

// The table as text, for `enso verify --policy`.
std::string format_policy();

} // namespace enso::verify
