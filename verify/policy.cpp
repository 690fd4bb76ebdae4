// The security policy as one table (policy.hpp).
#include "verify/policy.hpp"

#include <algorithm>

namespace enso::verify {

const std::vector<PolicyRow>& policy_table() {
    using O = Observable;
    static const std::vector<PolicyRow> rows = {
        {"none", O::FrameOwnership, "nothing but last_reference_freed", "-", "-",
         "d never takes, gives or flags another domain's frame"},
        {"grant_frame_refs", O::FrameCounts,
         "general and writable-type references (and the type, from none to writable)",
         "grant_map, grant_unmap, grant_copy",
         "the frame is the one e's grant entry (or its active entry) hands d, for an entry the "
         "call used (its status word written) or an active entry whose grantee is d",
         "a use of a grant holds the granted frame, as Xen's active entry does"},
        {"last_reference_freed", O::FrameOwnership,
         "the frame is freed (owner, flags, type cleared); e's tot_pages drops by one, e gets the "
         "memslots effect, and a dying e left with no page becomes free",
         "grant_unmap, grant_copy (any put_page)",
         "the frame is one e granted d, and d's reference was its last",
         "e already gave the frame up (decrease_reservation, destroy) while d held it"},
        {"grant_status", O::GrantEntry, "GTF_reading / GTF_writing of one entry, nothing else",
         "grant_map, grant_unmap, grant_copy",
         "a bit is set only in an entry that permits access and names d (GTF_writing only if not "
         "GTF_readonly); cleared only in an entry whose active use is d's or that permits access "
         "and names d (the end of a use the call itself made, as grant_copy's)",
         "the status bits tell e that d is using its grant (e's end-of-access waits on them)"},
        {"event_pending", O::SharedInfo,
         "set (never clear) one pending bit, the selector and upcall-pending bits",
         "evtchn_send, evtchn_bind_interdomain",
         "the pending bit is of a port of e bound to d after the call",
         "a port e bound to d is how d may signal e"},
        {"grant_copy_destination", O::Memory, "the contents of one frame", "grant_copy",
         "the frame is what an entry the call used hands d: the entry permits access, names d "
         "and is not read-only",
         "e granted d write access to that frame"},
        {"grant_mapped_write", O::Memory, "any word of one frame",
         "guest/write_word (the guest step)",
         "the frame is the one e's active grant entry records for d: its grantee is d and d "
         "maps it writable (writers > 0); the entry allowed writing when d mapped it "
         "(policy/consent of grant_map), and the core does not re-read it later, as Xen does not",
         "e granted d write access to that frame, and d holds a writable map of it"},
        {"none", O::DomainRecord,
         "nothing but the upcall effect (next row) and last_reference_freed's changes", "-", "-",
         "d never changes another domain's record (but see last_reference_freed)"},
        {"upcall_kick", O::DomainRecord, "doms.effects gains kEffectUpcall (nothing else)",
         "evtchn_send", "-", "asks the platform to kick e's vCPU for the event it now has pending"},
        {"active_grant_use", O::ActiveGrant, "readers, writers, frame, grantee",
         "grant_map, grant_unmap, grant_copy",
         "after the call the grantee is d, and before it the entry was idle or d's",
         "the active entry records d's uses of e's grant"},
        {"none", O::Maptrack, "nothing", "-", "-", "a domain's maptrack records its own maps"},
        {"bind_offered_port", O::Port, "unbound -> interdomain with d, its peer port set",
         "evtchn_bind_interdomain", "before the call the port was unbound naming d",
         "e offered the port to d (alloc_unbound naming d)"},
        {"peer_close", O::Port, "interdomain with d -> unbound naming d, peer port 0",
         "evtchn_close", "before the call the port was connected to d",
         "closing d's end leaves e's end waiting for d again, as Xen does"},
        {"dom0_alloc_unbound", O::Port, "closed -> unbound", "evtchn_alloc_unbound",
         "d is domain 0", "domain 0 (the toolstack) may allocate ports in any domain"},
    };
    return rows;
}

const char* observable_name(Observable o) {
    switch (o) {
    case Observable::FrameOwnership:
        return "e's frames: owner, flags";
    case Observable::FrameCounts:
        return "e's frames: counts, type";
    case Observable::GrantEntry:
        return "e's grant entries (memory)";
    case Observable::SharedInfo:
        return "e's shared_info (memory)";
    case Observable::Memory:
        return "e's other memory words";
    case Observable::DomainRecord:
        return "e's domain record";
    case Observable::ActiveGrant:
        return "e's active grant entries";
    case Observable::Maptrack:
        return "e's maptrack";
    case Observable::Port:
        return "e's event-channel ports";
    }
    return "?";
}

std::string format_policy() {
    std::string out =
        "The policy: what a call by domain d may change of any other domain e.\n"
        "(d is a handler's first argument: the caller, or the domain a domain step acts on.)\n"
        "Anything of e no row allows stays as it was. Proved per handler by enso verify\n"
        "(goals policy/...).\n\n";
    for (const auto& r : policy_table()) {
        std::string what = observable_name(r.what);
        what.resize(std::max<std::size_t>(what.size() + 1, 29), ' ');
        out += what + r.id + "\n    may change: " + r.change + "\n";
        if (std::string(r.id) != "none") {
            out += std::string("    by:         ") + r.handlers +
                   "\n    when:       " + r.condition + "\n";
        }
        out += std::string("    why:        ") + r.reason + "\n";
    }
    out += "\nConsent (goals policy/consent, on successful paths, over the pre-state):\n"
           "    grant_map, grant_copy: each grant used permits access, names d, is not\n"
           "        read-only if d writes through it (a grant of d's own to itself too, as Xen\n"
           "        allows it);\n"
           "    evtchn_bind_interdomain: e's port was unbound and named d;\n"
           "    evtchn_alloc_unbound: the port is allocated in d's own space, or d is domain 0.\n"
           "Fresh frames (goal policy/fresh_frame_zeroed): a frame that becomes a domain's\n"
           "    holds only zero words (nothing of its previous owner).\n";
    return out;
}

} // namespace enso::verify
