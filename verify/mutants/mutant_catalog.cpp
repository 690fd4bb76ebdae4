// The seeded bugs: each a mutation point of the real core (mutation.hpp says
// what it plants), the handler that reaches it, and the checks it breaks.
// A name is the advisory's only where the point reproduces its mechanism;
// otherwise it names the bug class, and the advisory is at most "similar to".
#include "verify/mutants/mutant_catalog.hpp"

#include "verify/handler_catalog.hpp"
#include "verify/mutation_switch.hpp"

#include <algorithm>

namespace enso::verify {

namespace {

using core::Mutation;

// The table-work steps' catalogue entries (verify/table_work_steps.*).
constexpr const char* kValidateEntry = "table_work/validate_entry";
constexpr const char* kReleaseEntry = "table_work/release_entry";
constexpr const char* kFailValidation = "table_work/fail_validation";

std::string bug_of(Mutation m) {
    for (const auto& i : core::kMutations) {
        if (i.mutation == m) {
            return std::string(i.bug);
        }
    }
    return {};
}

} // namespace

const std::vector<MutantEntry>& mutant_entries() {
    static const std::vector<MutantEntry> all = {
        {Mutation::kFastPathSuperpage,
         "xsa148_superpage_fast_path",
         "XSA-148",
         "mmu_update",
         {"flags_allowed"}},
        {Mutation::kFastPathRw,
         "xsa182_fast_path_rw",
         "XSA-182",
         "mmu_update",
         {"no_writable_pagetable", "type_count_matches"}},
        {Mutation::kRecursiveRootEntry,
         "recursive_root_entry",
         "similar to XSA-185 (there: a 32-bit guest's L3)",
         "mmu_update",
         {"hierarchy"}},
        {Mutation::kSameLevelEntry,
         "same_level_entry",
         "similar to XSA-240 (linear page tables, which Enso refuses)",
         "mmu_update",
         {"hierarchy"}},
        {Mutation::kRetypeLiveTable,
         "retype_live_table",
         "none (page-type confusion)",
         "mmu_update",
         {"pagetable_validated", "no_leaked_references", "type_count_matches"}},
        {Mutation::kPinAnyLevel,
         "pin_any_level",
         "none (found by the core's tests)",
         "pin_table",
         {"pinned_is_pagetable"}},
        {Mutation::kPinTwice,
         "pin_twice",
         "none (reference counting)",
         "pin_table",
         {"type_count_matches", "no_leaked_references"}},
        {Mutation::kUnpinUnpinned,
         "unpin_unpinned",
         "similar to XSA-242 (a type reference dropped by a path that did not hold it)",
         "unpin_table",
         {"type_count_matches", "refcount_covers_uses"}},
        {Mutation::kFreeKeepsType,
         "free_keeps_type",
         "similar to XSA-214 (there: a page moved by grant transfer kept its type)",
         "decrease_reservation",
         {"no_leak_after_destroy"}},
        {Mutation::kReleaseLiveTable,
         "release_live_table",
         "none (page-type confusion)",
         "decrease_reservation",
         {"no_leaked_references", "type_count_matches", "refcount_covers_uses", "hierarchy"}},
        {Mutation::kUnmapKeepsHandle,
         "unmap_keeps_handle",
         "similar to XSA-218 (there: racing unmaps put one mapping twice)",
         "grant_unmap",
         {"grant_status_matches_pins", "refcount_covers_uses", "type_count_matches"}},
        {Mutation::kReleaseKeepsTypeRef,
         "release_keeps_type_ref",
         "similar to XSA-224 (grant reference counts mishandled)",
         "grant_unmap",
         {"type_count_matches"}},
        {Mutation::kUnmapWrongKind,
         "unmap_wrong_kind",
         "similar to XSA-234 (unmap not checked against the mapping's mode)",
         "grant_unmap",
         {"grant_status_matches_pins", "type_count_matches"}},
        {Mutation::kGrantPteUncheckedTable,
         "grant_pte_unchecked_table",
         "similar to XSA-227 (there: an unaligned PTE address)",
         "grant_map",
         {"ownership", "hierarchy", "flags_allowed", "no_writable_pagetable",
          "grant_status_matches_pins", "readonly_grant_never_writable"}},
        {Mutation::kStatusClearedEarly,
         "xsa230_status_cleared_early",
         "XSA-230",
         "grant_copy",
         {"grant_status_matches_pins"}},
        {Mutation::kCloseLeavesPeer,
         "close_leaves_peer",
         "none (dangling peer)",
         "evtchn_close",
         {"evtchn_peers_consistent"}},
        {Mutation::kBindConnectedPort,
         "bind_connected_port",
         "none (missing state check)",
         "evtchn_bind_interdomain",
         {"evtchn_peers_consistent"}},
        {Mutation::kPortOutOfRange,
         "port_out_of_range",
         "none (unchecked index)",
         "evtchn_alloc_unbound",
         {"no_leak_after_destroy", "evtchn_peers_consistent"}},
        {Mutation::kValidateTakesNoRefs,
         "validate_takes_no_refs",
         "none (table work)",
         kValidateEntry,
         {"type_count_matches", "refcount_covers_uses", "ownership", "hierarchy", "flags_allowed",
          "no_writable_pagetable"}},
        {Mutation::kReleaseEntryKeepsRefs,
         "release_entry_keeps_refs",
         "none (table work)",
         kReleaseEntry,
         {"no_leaked_references", "type_count_matches", "refcount_covers_uses"}},
        {Mutation::kValidatedAfterFailure,
         "validated_after_failure",
         "none (table work)",
         kFailValidation,
         {"pagetable_validated", "hierarchy", "ownership", "flags_allowed", "type_count_matches",
          "refcount_covers_uses"}},
        // The policy's bug classes (policy.hpp): each is killed by the policy
        // goal it plants a bug for, confirmed by concrete_policy_check.
        {Mutation::kGrantAnyGrantee,
         "grant_skips_grantee_check",
         "none (consent: the grant names another domain)",
         "grant_map",
         {"policy/consent"}},
        {Mutation::kGrantWritesReadonly,
         "grant_writes_readonly",
         "none (consent: the grant is read-only)",
         "grant_map",
         {"policy/consent"}},
        {Mutation::kGrantWithoutPermit,
         "grant_without_permit",
         "none (consent: the entry does not permit access)",
         "grant_map",
         {"policy/consent"}},
        {Mutation::kBindUnofferedPort,
         "bind_unoffered_port",
         "none (consent: the port was offered to another domain)",
         "evtchn_bind_interdomain",
         {"policy/consent", "policy/ports"}},
        {Mutation::kSendWrongPort,
         "send_wrong_port",
         "none (authority: a pending bit on a port not bound to the caller)",
         "evtchn_send",
         {"policy/memory"}},
        {Mutation::kAllocForeignPort,
         "alloc_foreign_port",
         "none (authority: a port allocated in another domain)",
         "evtchn_alloc_unbound",
         {"policy/consent", "policy/ports"}},
        {Mutation::kStatusWrongEntry,
         "status_wrong_entry",
         "none (authority: status bits of an entry the call did not use)",
         "grant_unmap",
         {"policy/memory"}},
        {Mutation::kStatusFrameFreedMapped,
         "xsa255_status_frame_freed_mapped",
         "XSA-255",
         "grant_set_version",
         {"ownership"}},
        {Mutation::kDescriptorAnyType,
         "descriptor_any_type",
         "none (page-type confusion)",
         "update_descriptor",
         {"ownership"}},
        {Mutation::kVcpuRootUntyped,
         "vcpu_root_untyped",
         "none (page-type confusion)",
         "hold_vcpu_root",
         {"pinned_is_pagetable"}},
        {Mutation::kCopyPastFrameEnd,
         "copy_past_frame_end",
         "none (integrity: a copy checks its destination offset, not its end)",
         "grant_copy",
         {"policy/memory"}},
        {Mutation::kFrameNotScrubbed,
         "frame_not_scrubbed",
         "none (confidentiality: a fresh frame keeps its previous owner's words)",
         "increase_reservation",
         {"policy/fresh_frame_zeroed"}},
        {Mutation::kGuestWritesReadonlyMap,
         "guest_writes_readonly_map",
         "none (guest write: through a read-only grant map)",
         "guest/write_word",
         {"policy/memory"}},
        {Mutation::kGuestWritesTable,
         "guest_writes_table",
         "none (guest write: into its own page table)",
         "guest/write_word",
         {"hierarchy", "ownership", "flags_allowed", "no_writable_pagetable", "type_count_matches",
          "refcount_covers_uses", "pagetable_validated", "no_leaked_references"}},
        {Mutation::kTableWithoutFlush,
         "table_without_flush",
         "none (a stale TLB entry)",
         "table_work/begin_validation",
         {"flush/owed"}},
    };
    return all;
}

HandlerSpec mutated_spec(const HandlerSpec& handler, core::Mutation m) {
    HandlerSpec s = handler;
    s.summary = "mutant of " + handler.name;
    auto symbolic = handler.symbolic;
    s.symbolic = [symbolic, m](SState& st, const Args<Symbolic>& a) {
        const MutationScope on(m);
        return symbolic(st, a);
    };
    auto concrete = handler.concrete;
    if (concrete) {
        s.concrete = [concrete, m](RState& st, const Args<core::Concrete>& a) {
            const MutationScope on(m);
            return concrete(st, a);
        };
    }
    if (auto whole = handler.whole) {
        s.whole = [whole, m](RState& st, const Args<core::Concrete>& a) {
            const MutationScope on(m);
            return whole(st, a);
        };
    }
    return s;
}

const std::vector<Mutant>& mutant_catalog() {
    static const std::vector<Mutant> all = [] {
        std::vector<Mutant> out;
        for (const auto& e : mutant_entries()) {
            if (const HandlerSpec* h = find_handler(e.handler);
                h != nullptr && e.held_back.empty()) {
                out.push_back({e.name, e.advisory, e.handler, bug_of(e.mutation), e.expected_checks,
                               mutated_spec(*h, e.mutation), e.mutation});
            }
        }
        return out;
    }();
    return all;
}

const Mutant* find_mutant(std::string_view name) {
    const auto& all = mutant_catalog();
    auto it = std::find_if(all.begin(), all.end(), [&](const Mutant& m) { return m.name == name; });
    return it == all.end() ? nullptr : &*it;
}

std::vector<MutantEntry> pending_mutants() {
    std::vector<MutantEntry> out;
    for (const auto& e : mutant_entries()) {
        if (find_handler(e.handler) == nullptr || !e.held_back.empty()) {
            out.push_back(e);
        }
    }
    return out;
}

} // namespace enso::verify
