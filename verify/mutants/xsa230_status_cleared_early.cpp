// XSA-230: Xen cleared GTF_reading / GTF_writing too early on some grant
// copy and unmap paths, while the grant was still in use. The copy of
// grant_release below clears GTF_reading whenever a read-only use ends,
// even if other users remain.
// Hostile twin (the same attack from a real guest, which the core refuses):
// tests/hostile/grant_end_while_mapped.
#include "verify/handler_catalog.hpp"
#include "verify/mutant.hpp"
#include "verify/mutants/grant_mutant_args.hpp"
#include "verify/mutants/grant_steps.hpp"

namespace enso::verify {

namespace {

using namespace core;

struct Release {
    template <class V>
    void operator()(State<V>& s, typename V::U16 gd, typename V::U32 ref,
                    typename V::Bool writable) const {
        auto gi = grant_index<V>(gd, ref);
        auto frame = s.grants.act_frame.get(gi);
        auto readers = s.grants.act_readers.get(gi);
        auto writers = s.grants.act_writers.get(gi);
        std::uint64_t clear = 0;
        if (writable) {
            writers = writers - 1;
            s.grants.act_writers.set(gi, writers);
            put_page_type<V>(s, frame);
        } else {
            readers = readers - 1;
            s.grants.act_readers.set(gi, readers);
            clear |= GTF_reading; // BUG: other readers and writers may remain
        }
        if (s.doms.state.get(gd) == kDomLive) {
            if (writers == 0) {
                clear |= GTF_writing;
            }
            if (readers + writers == 0) {
                clear |= GTF_reading;
            }
            s.mem.fetch_and64(grant_entry_frame<V>(s, gd, ref), grant_entry_word<V>(ref), ~clear);
        }
        put_page<V>(s, frame);
    }
};

struct Handler {
    template <class V>
    static Rc run(State<V>& s, const Args<V>& a) {
        const CopySide<V> src{a.flag(1), a.u32(2), a.u16(3), a.u32(4)};
        const CopySide<V> dst{a.flag(5), a.u32(6), a.u16(7), a.u32(8)};
        return mutants::grant_copy_with<V>(s, a.u16(0), src, dst, a.u32(9), Release{});
    }
};

} // namespace

Mutant make_xsa230_status_cleared_early() {
    return {"xsa230_status_cleared_early",
            "XSA-230",
            "grant_copy",
            "the end of a copy clears the source grant's GTF_reading although it is still "
            "mapped",
            {"grant_status_matches_pins"},
            make_spec<Handler>("grant_copy", "grant", "mutant of grant_release",
                               mutants::copy_args(), caller_is_live)};
}

} // namespace enso::verify
