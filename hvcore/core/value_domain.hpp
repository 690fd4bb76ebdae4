// The value domain a handler is written over ("one handler, two semantics").
//
// Handlers are templates over V and use only what V provides:
//   V::Bool, V::U8, V::U16, V::U32, V::U64   values (plain integers when concrete,
//                                            z3 expressions when symbolic)
//   V::template Array<T>                     state arrays with get(i) / set(i, v)
//   V::template cast<T>(x)                   width change (truncate / zero-extend)
//   V::select(c, a, b)                       a if c, else b, without a branch: the
//                                            verifier forks a path at every `if`
//                                            on a V::Bool, so a helper every handler
//                                            calls (put_page) chooses values instead
//   V::Memory                                machine memory: load64 / store64 of a
//                                            word in a frame
// Handlers use ordinary `if`s on V::Bool, loop only over constant bounds, and
// return a plain Rc per path. The concrete domain lives in concrete_domain.hpp;
// the symbolic one (verify/) provides the same names.
#pragma once

#include <concepts>

// Handlers are small and each is reached from one driver. GCC's -O2
// heuristics do not inline templates that are not declared inline, which made
// one mmu_update entry cost 2.2x its hand-written twin (bench/core); forcing
// it brings the concrete instantiation to the twin's cost.
#define ENSO_INLINE [[gnu::always_inline]] inline

namespace enso::core {

template <class V>
concept ValueDomain = requires {
    typename V::Bool;
    typename V::U8;
    typename V::U16;
    typename V::U32;
    typename V::U64;
    typename V::Memory;
    // Seeded bugs (mutation.hpp): false in every domain but the verifier's.
    { V::kMutable } -> std::convertible_to<bool>;
};

} // namespace enso::core
