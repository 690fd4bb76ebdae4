// Every seeded bug of the core in one place: a mutation point is a named
// branch in a real handler that the verifier can switch on, one at a time, to
// check that its proof catches that bug. The running core's value domain
// (Concrete) answers a constant false, so every point compiles away there.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace enso::core {

enum class Mutation : std::uint8_t {
    kNone,
    kFastPathSuperpage,
    kFastPathRw,
    kRecursiveRootEntry,
    kSameLevelEntry,
    kRetypeLiveTable,
    kPinAnyLevel,
    kPinTwice,
    kUnpinUnpinned,
    kFreeKeepsType,
    kReleaseLiveTable,
    kUnmapKeepsHandle,
    kReleaseKeepsTypeRef,
    kUnmapWrongKind,
    kGrantPteUncheckedTable,
    kStatusClearedEarly,
    kCloseLeavesPeer,
    kBindConnectedPort,
    kPortOutOfRange,
    kValidateTakesNoRefs,
    kReleaseEntryKeepsRefs,
    kValidatedAfterFailure,
    kGrantAnyGrantee,
    kGrantWritesReadonly,
    kGrantWithoutPermit,
    kBindUnofferedPort,
    kSendWrongPort,
    kAllocForeignPort,
    kStatusWrongEntry,
    kFrameNotScrubbed,
    kGuestWritesReadonlyMap,
    kGuestWritesTable,
    kTableWithoutFlush,
    kCopyPastFrameEnd,
    kStatusFrameFreedMapped,
    kDescriptorAnyType,
    kVcpuRootUntyped,
    kCount,
};

struct MutationInfo {
    Mutation mutation;
    std::string_view point; // the function that holds the branch
    std::string_view bug;   // what switching it on plants
};

// One line per seeded bug, in enum order.
inline constexpr std::array<MutationInfo, static_cast<std::size_t>(Mutation::kCount) - 1>
    kMutations{{
        {Mutation::kFastPathSuperpage, "mod_entry",
         "the update fast path lets PSE change and skips the flag check: a guest sets the "
         "superpage bit on a live entry"},
        {Mutation::kFastPathRw, "mod_entry",
         "RW is among the fast path's bits: a read-only leaf becomes writable without taking a "
         "writable type reference"},
        {Mutation::kRecursiveRootEntry, "mod_entry",
         "an L4 entry may map its own table (a recursive mapping), taking only a general "
         "reference"},
        {Mutation::kSameLevelEntry, "get_entry_refs",
         "a read-only upper entry may map a validated table of its own level (a linear page "
         "table), taking no type reference"},
        {Mutation::kRetypeLiveTable, "check_page_type",
         "a validated page table at type count zero is retyped without devalidation: its "
         "entries keep their references and it stays marked validated"},
        {Mutation::kPinAnyLevel, "pin_table",
         "pin accepts any type as a level, so a pinned frame need not be a page table"},
        {Mutation::kPinTwice, "pin_table",
         "pinning an already pinned table takes a second type and general reference that the "
         "one pin flag never drops"},
        {Mutation::kUnpinUnpinned, "unpin_table",
         "unpin drops a type and a general reference from a table no pin holds"},
        {Mutation::kFreeKeepsType, "free_frame_if",
         "a frame returned to the free pool keeps its type and type count"},
        {Mutation::kReleaseLiveTable, "release_frame",
         "decrease_reservation frees a page table without devalidating it: its entries keep "
         "their references"},
        {Mutation::kUnmapKeepsHandle, "grant_unmap",
         "unmap releases the grant but leaves the handle in use: a second unmap puts the "
         "mapping's references again"},
        {Mutation::kReleaseKeepsTypeRef, "grant_release",
         "releasing a writable use of a grant drops its general reference but not its type "
         "reference"},
        {Mutation::kUnmapWrongKind, "grant_unmap",
         "unmap releases every mapping as a read-only one, whatever the handle recorded"},
        {Mutation::kGrantPteUncheckedTable, "grant_pte_maddr",
         "a host mapping writes its PTE at any aligned machine address the caller names, not "
         "only in its own validated L1 tables"},
        {Mutation::kStatusClearedEarly, "grant_release",
         "the end of a read-only use clears GTF_reading although other uses remain"},
        {Mutation::kCloseLeavesPeer, "evtchn_close",
         "closing one end of an interdomain channel leaves the peer bound to the closed port"},
        {Mutation::kBindConnectedPort, "evtchn_bind_interdomain",
         "binding accepts any open remote port, not only an unbound one offered to the caller: "
         "a connected port is taken over"},
        {Mutation::kPortOutOfRange, "evtchn_alloc_unbound",
         "a port number beyond the table is accepted; its index lands in another domain's "
         "ports"},
        {Mutation::kValidateTakesNoRefs, "validate_entry",
         "a validation step accepts an entry without taking (or checking) its references"},
        {Mutation::kReleaseEntryKeepsRefs, "release_entry",
         "a devalidation step drops nothing of what the released entry held"},
        {Mutation::kValidatedAfterFailure, "end_validation",
         "a validation that failed still marks the frame validated, with entries never "
         "checked"},
        {Mutation::kGrantAnyGrantee, "grant_acquire",
         "a grant use skips the entry's domid check: any domain may use a grant made to another"},
        {Mutation::kGrantWritesReadonly, "grant_acquire",
         "a writing use of a grant skips the GTF_readonly check: a read-only grant is mapped or "
         "copied into writable"},
        {Mutation::kGrantWithoutPermit, "grant_acquire",
         "a grant use skips the GTF_permit_access check: an entry the granter never made (or "
         "withdrew) is used"},
        {Mutation::kBindUnofferedPort, "evtchn_bind_interdomain",
         "binding accepts an unbound remote port offered to another domain, not only to the "
         "caller"},
        {Mutation::kSendWrongPort, "evtchn_send",
         "send signals the peer's port of the caller's port number, not the bound remote port: "
         "a pending bit on a port the caller does not hold"},
        {Mutation::kAllocForeignPort, "evtchn_alloc_unbound",
         "any domain, not only domain 0, may allocate an unbound port in another domain's space"},
        {Mutation::kStatusWrongEntry, "grant_release",
         "the end of a use clears the status bits of the neighbouring entry (ref ^ 1), not of the "
         "entry used"},
        {Mutation::kFrameNotScrubbed, "assign_frame",
         "a frame handed to a domain is not scrubbed: it keeps its previous owner's words"},
        {Mutation::kGuestWritesReadonlyMap, "guest_can_write",
         "a guest may store through a read-only grant map, as if it were writable"},
        {Mutation::kGuestWritesTable, "guest_can_write",
         "a guest may store into any frame of its own, whatever its type: a page table too"},
        {Mutation::kTableWithoutFlush, "begin_validation",
         "a frame typed writable becomes a page table without a TLB flush of its owner: a stale "
         "writable translation can still write the table"},
        {Mutation::kCopyPastFrameEnd, "grant_copy",
         "a copy's destination offset is checked against the frame's end, its end is not: the "
         "bytes past the frame land in the next one, whoever owns it"},
        {Mutation::kStatusFrameFreedMapped, "grant_set_version",
         "going back to grant table v1 frees the status frame without checking that the guest "
         "no longer maps it"},
        {Mutation::kDescriptorAnyType, "update_descriptor",
         "a descriptor is written into the caller's frame whatever its type: into a page table "
         "too, past its validation"},
        {Mutation::kVcpuRootUntyped, "hold_vcpu_root",
         "a vCPU's root is held without its L4 type reference: never validated, and still "
         "writable through a mapping"},
    }};

} // namespace enso::core

// The mutation points, as expressions a handler template writes inline. In a
// domain whose kMutable is false (the running core's) each folds to the real
// code in the compiler's front end, so the generated code is unchanged; a
// buggy expression is evaluated only when its mutation is on.
//
// Whether mutation M (an enumerator of core::Mutation) is on in domain V.
#define ENSO_MUTATION(V, M) (V::kMutable && V::mutation(::enso::core::Mutation::M))
// `real`, or `buggy` when mutation M is on.
#define ENSO_MUTATED(V, M, real, buggy) (ENSO_MUTATION(V, M) ? (buggy) : (real))
// `check`, or false (the check is skipped) when mutation M is on.
#define ENSO_CHECKED(V, M, check) (ENSO_MUTATION(V, M) ? typename V::Bool(false) : (check))
