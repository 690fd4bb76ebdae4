// Exact reference counts as sums, kept quantifier-free by a delta lemma.
//
// A count family says: for every target x, counter(x) equals the sum over
// all objects o of contribution(o, x). Objects are what hold references:
// a frame's own holds (allocation, pin, the core's reference), a domain's
// base pointer, a page-table word, an active grant, a maptrack entry, a
// frame owned by a domain. The sum ranges over the whole state, so it is
// never written out; instead each path must show
//   (delta)    counter'(x) - counter(x) = sum over the objects the path
//              wrote of (contribution'(o, x) - contribution(o, x)), and
//   (locality) an object the path did not write contributes as before
// which, with the pre-state's exact count, gives the post-state's. What a
// pre-state sum implies about a few objects at once is the "sum bound":
// counter(x) >= the sum over any set of distinct objects; the prover
// instantiates it for the objects a path wrote or a goal names.
#pragma once

#include "verify/index_terms.hpp"
#include "verify/state_view.hpp"
#include "verify/symbolic_invariants.hpp"

#include <functional>
#include <string>
#include <vector>

namespace enso::verify {

enum class ObjectKind { FrameHolds, Baseptr, Entry, ActiveGrant, Maptrack, OwnedFrame };

const char* object_kind_name(ObjectKind k);

struct Object {
    ObjectKind kind;
    z3::expr a; // the frame, domain, grant or maptrack index; the frame of an entry
    z3::expr b; // the slot of an entry; a copy of `a` otherwise
};

// Whether two objects of one kind are the same object.
z3::expr same_object(const Object& x, const Object& y);

struct CountFamily {
    std::string name;
    std::vector<std::string> checks; // the concrete checks that report a mismatch
    IndexClass target;
    std::vector<ObjectKind> kinds;
    std::vector<std::string> counter_arrays; // where the counter lives in the state
    // x is a target the concrete state has.
    std::function<z3::expr(const StateView&, const z3::expr&)> target_ok;
    // The counter at x, 64 bits.
    std::function<z3::expr(const StateView&, const z3::expr&)> counter;
    // o's contribution to x, 64 bits (0 for objects outside the machine).
    std::function<z3::expr(const StateView&, const Object&, const z3::expr&)> contribution;
};

const std::vector<CountFamily>& count_families();

// The target an object contributes to (every object has one): the frame
// itself, the root, the word's target, the grant's frame, the maptrack
// entry's grant, the frame's owner.
z3::expr object_target(const StateView& v, const Object& o);

// Coverage lemmas: what the pre-state's exact counts give about one object
// and the holds of its target (counter(x) >= its contribution plus the
// target's own holds). Facts of the pre-state, instantiated like the
// invariants; they follow from the exact counts, so they are not proved
// again after each path.
const std::vector<Invariant>& coverage_lemmas();

// Sum of contributions over distinct objects (duplicates counted once).
z3::expr distinct_sum(const CountFamily& f, const StateView& v, const std::vector<Object>& objects,
                      const z3::expr& x);
// Sum of term(o) over distinct objects, 64 bits.
z3::expr distinct_sum(const std::vector<Object>& objects,
                      const std::function<z3::expr(const Object&)>& term);

} // namespace enso::verify
