// Field readers over a symbolic state, on raw z3 expressions: what the
// invariants and the reference-count families are written in. Frames, array
// indices and domain indices are 32-bit, slots 9-bit, as in the state.
#pragma once

#include "verify/symbolic_state.hpp"

#include <cstdint>
#include <optional>
#include <vector>

namespace enso::verify {

z3::expr bv(std::uint64_t v, unsigned bits);

class StateView {
public:
    // destroying: the domain whose teardown is under way (a 32-bit index),
    // or kNoDomain outside domain destroy; see destroy_steps.hpp.
    StateView(const SState& s, const z3::expr& pte_witness, z3::expr destroying)
        : s_(s), witness_(pte_witness), destroying_(std::move(destroying)) {}
    static constexpr std::uint32_t kNoDomain = 0xffffffffU;
    [[nodiscard]] const z3::expr& destroying() const { return destroying_; }

    [[nodiscard]] const SState& state() const { return s_; }
    [[nodiscard]] z3::expr nr() const { return s_.nr_frames.expr(); }

    // Frames.
    [[nodiscard]] z3::expr frame_ok(const z3::expr& f) const { return z3::ult(f, nr()); }
    [[nodiscard]] z3::expr owner(const z3::expr& f) const;
    [[nodiscard]] z3::expr count(const z3::expr& f) const;
    [[nodiscard]] z3::expr type(const z3::expr& f) const;
    [[nodiscard]] z3::expr tc(const z3::expr& f) const;
    [[nodiscard]] z3::expr flags(const z3::expr& f) const;
    [[nodiscard]] z3::expr has(const z3::expr& f, unsigned flag) const;
    [[nodiscard]] z3::expr owned_by(const z3::expr& f, const z3::expr& d16) const;
    [[nodiscard]] z3::expr validated_table(const z3::expr& f) const;
    // Whether word `slot9` of table f counts as an entry: a validated
    // table's, or, during table work (set_progress), what the progress says
    // (see table_work_steps.hpp).
    [[nodiscard]] z3::expr table_word_live(const z3::expr& f, const z3::expr& slot9) const;
    // f is a table being validated (its progress is not zero); never
    // outside table work.
    [[nodiscard]] z3::expr in_validation(const z3::expr& f) const;
    // The ghost progress of table work: frame -> 16 bits. Unset outside it.
    void set_progress(z3::expr progress) { progress_ = std::move(progress); }
    [[nodiscard]] const std::optional<z3::expr>& progress() const { return progress_; }
    // The pre-state's ghost progress: one named constant.
    static z3::expr progress_ghost();

    // One word of memory, and what it says as a page-table entry.
    [[nodiscard]] z3::expr word(const z3::expr& f, const z3::expr& slot9) const;
    static z3::expr present(const z3::expr& e);
    static z3::expr rw(const z3::expr& e);
    static z3::expr target(const z3::expr& e); // as pte_frame: bits 12..43
    static z3::expr maddr(const z3::expr& f, const z3::expr& slot9);

    // Domains, by 32-bit index (the core indexes with zero-extended ids).
    [[nodiscard]] z3::expr dom_state(const z3::expr& d) const;
    [[nodiscard]] z3::expr live(const z3::expr& d) const;
    [[nodiscard]] z3::expr baseptr(const z3::expr& d) const;
    [[nodiscard]] z3::expr shared_info(const z3::expr& d) const;
    [[nodiscard]] z3::expr tot_pages(const z3::expr& d) const;
    [[nodiscard]] z3::expr nr_gframes(const z3::expr& d) const;   // 32 bits
    [[nodiscard]] z3::expr gframe(const z3::expr& g) const;       // g = (d << 2) | i
    [[nodiscard]] z3::expr status_frame(const z3::expr& d) const; // kNoFrame at v1

    // Grants, by grant index (granter << 11) | ref.
    [[nodiscard]] z3::expr readers(const z3::expr& gi) const;
    [[nodiscard]] z3::expr writers(const z3::expr& gi) const;
    [[nodiscard]] z3::expr act_frame(const z3::expr& gi) const;
    [[nodiscard]] z3::expr active(const z3::expr& gi) const;
    [[nodiscard]] z3::expr act_grantee(const z3::expr& gi) const; // 16 bits
    // The granter's v1 entry word for gi (meaningful for a live granter and
    // a reference below its table size).
    [[nodiscard]] z3::expr grant_word(const z3::expr& gi) const;
    [[nodiscard]] z3::expr grant_ref_ok(const z3::expr& gi) const; // live granter, ref in table

    // Maptrack, by index (grantee << 10) | handle.
    [[nodiscard]] z3::expr map_flags(const z3::expr& mi) const;
    [[nodiscard]] z3::expr map_has(const z3::expr& mi, unsigned flag) const;
    [[nodiscard]] z3::expr granter(const z3::expr& mi) const; // 16 bits
    [[nodiscard]] z3::expr map_ref(const z3::expr& mi) const;
    [[nodiscard]] z3::expr host_addr(const z3::expr& mi) const;
    [[nodiscard]] z3::expr grant_of(const z3::expr& mi) const; // as grant_index()

    // Event channels, by (domain << 10) | port.
    [[nodiscard]] z3::expr port_state(const z3::expr& pi) const;
    [[nodiscard]] z3::expr remote_dom(const z3::expr& pi) const; // 16 bits
    [[nodiscard]] z3::expr remote_port(const z3::expr& pi) const;

    // The ghost witness of the grant PTE at (f, slot): a maptrack index.
    [[nodiscard]] z3::expr witness(const z3::expr& f, const z3::expr& slot9) const;

    // Extra witnesses the prover offers for the post-state's existential.
    std::vector<z3::expr> extra_witnesses;

private:
    const SState& s_;
    const z3::expr& witness_;
    z3::expr destroying_;
    std::optional<z3::expr> progress_;
};

} // namespace enso::verify
