// PV MMU handlers that run in the monitor, instantiated over z3 unchanged and
// proved to keep the structural page-table invariants; and a broken copy of
// one refuted. mmu_update and update_va_mapping are not proved yet: see
// verify/README.md.
#include "hvcore/core/pv_mmu.hpp"
#include "verify/handler_proof.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <iostream>

namespace enso::verify {
namespace {

using S = Symbolic;

S::U16 arg16(const char* name) {
    return S::U16(sym_ctx().bv_const(name, 16));
}
S::U32 arg32(const char* name) {
    return S::U32(sym_ctx().bv_const(name, 32));
}

ProofOptions options() {
    ProofOptions o;
    o.trace = std::getenv("ENSO_VERIFY_TRACE") != nullptr;
    return o;
}

void require_proved(const char* handler, const ProofResult& r) {
    std::cout << "verify: " << handler << ": " << r.paths << " paths, "
              << (r.failures.empty() ? "proved" : "REFUTED") << " in " << r.seconds << " s\n";
    for (const auto& f : r.failures) {
        UNSCOPED_INFO(f.invariant << " broken; model:\n" << f.model);
    }
    CHECK(r.paths > 0);
    REQUIRE(r.failures.empty());
}

// The bug the tests found in pin_table before it was fixed: no check that
// the level is a page-table level, so a pinned frame need not be a table.
template <class V>
core::Rc broken_pin_table(core::State<V>& s, typename V::U16 d, typename V::U32 f,
                          typename V::U8 level) {
    using namespace core;
    if (!owned_by<V>(s, f, d) || frame_has<V>(s, f, kFramePinned)) {
        return kEINVAL;
    }
    if (s.frames.count.get(f) >= kMaxRefCount) {
        return kEOVERFLOW;
    }
    if (Rc rc = get_page_type<V>(s, f, level); rc != kOk) {
        return rc;
    }
    get_page<V>(s, f);
    frame_set<V>(s, f, kFramePinned);
    return kOk;
}

} // namespace

TEST_CASE("proof: pin, unpin and new_baseptr keep the page-table invariants", "[proof]") {
    require_proved("pin_table", prove_keeps_invariants(
                                    [](SState& s) {
                                        core::pin_table<S>(s, arg16("d"), arg32("f"),
                                                           S::U8(sym_ctx().bv_const("level", 8)));
                                    },
                                    options()));
    require_proved(
        "unpin_table",
        prove_keeps_invariants([](SState& s) { core::unpin_table<S>(s, arg16("d"), arg32("f")); },
                               options()));
    require_proved(
        "new_baseptr",
        prove_keeps_invariants([](SState& s) { core::new_baseptr<S>(s, arg16("d"), arg32("f")); },
                               options()));
}

TEST_CASE("proof: a pin that does not check the level is refuted", "[proof][mutant]") {
    const auto r = prove_keeps_invariants(
        [](SState& s) {
            broken_pin_table<S>(s, arg16("d"), arg32("f"), S::U8(sym_ctx().bv_const("level", 8)));
        },
        options());
    std::cout << "verify: broken pin_table: " << r.paths << " paths, " << r.failures.size()
              << " counterexample(s) in " << r.seconds << " s\n";
    bool names_the_rule = false;
    for (const auto& f : r.failures) {
        names_the_rule = names_the_rule || f.invariant == "pinned_is_pagetable";
    }
    REQUIRE(names_the_rule);
}

} // namespace enso::verify
