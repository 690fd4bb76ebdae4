// The hostile guests' framework, in the style of XTF: each attack is one
// folder (tests/hostile/<name>/main.cpp) that defines test_title and
// test_main; this framework boots it on the guest runtime, waits for the
// test driver's go command, runs the attack, prints one result line
//
//   hostile: <title>: PASS (<n> checks, all as expected)
//   hostile: <title>: FAIL (<k> of <n> checks failed; first: ...)
//
// answers the go command (status 0 on PASS, values: go_args.hpp), and shuts
// the domain down on the driver's next command. An attack meant to end in a
// fault or a deadline never returns; the driver judges its stop instead.
#pragma once

#include "tests/hostile/common/go_args.hpp"
#include "workloads/guest/xen.hpp"

namespace enso::hostile {

using Args = const uint64_t*; // the go command's args[0..5], indexed by GoArg

// Defined by each attack.
extern const char test_title[];
void test_main(Args a);

// Expectations: each prints one line ("<what>: <got>, as expected" or
// "<what>: <got>, expected <want>") and counts towards the result.
void expect_errno(const char* what, long got, long want); // a hypercall's 0 or -XEN_E*
void expect_gntst(const char* what, long got, long want); // a grant op's GNTST_* status
void expect_value(const char* what, uint64_t got, uint64_t want);
void expect(const char* what, bool ok);

// A line of its own ("hostile: <title>: ..."), no verdict.
[[gnu::format(printf, 1, 2)]] void info(const char* fmt, ...);

// Answers the current command with values v (status 0), then waits for the
// driver's next command and returns its arguments: an attack in steps.
Args handshake(uint64_t v0 = 0, uint64_t v1 = 0, uint64_t v2 = 0, uint64_t v3 = 0);
// The two halves of handshake.
void reply(uint64_t v0 = 0, uint64_t v1 = 0, uint64_t v2 = 0, uint64_t v3 = 0);
Args next_command();

// The attack has made the command page unusable (released or scribbled on
// it): the result goes to the console only.
void no_answer();

// A scratch address whose L1 entry exists and is empty (slot < 512, each a
// separate page): for mappings the attack makes itself. 0 if tables cannot
// be made (then the attack fails).
uint64_t scratch_page(unsigned slot);

// The machine address of the L1 entry that maps va (0 if none).
uint64_t l1e_of(uint64_t va);

// Names for results in lines: "-EPERM", "GNTST_bad_handle".
const char* errno_name(long rc);
const char* gntst_name(long status);

} // namespace enso::hostile
