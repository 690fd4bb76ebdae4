// XSA-224: grant-table operations mishandled reference counts on some
// paths. The copy of grant_release below forgets to drop the writable type
// reference a writable mapping held.
// Hostile twin (the same attack from a real guest, which the core refuses):
// tests/hostile/grant_forged_handle.
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
        if (writable) {
            writers = writers - 1;
            s.grants.act_writers.set(gi, writers);
            // BUG: no put_page_type for the writable use.
        } else {
            readers = readers - 1;
            s.grants.act_readers.set(gi, readers);
        }
        if (s.doms.state.get(gd) == kDomLive) {
            std::uint64_t clear = 0;
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
        return mutants::grant_unmap_with<V>(s, a.u16(0), a.u32(1), a.u64(2), Release{});
    }
};

} // namespace

Mutant make_xsa224_release_keeps_type_ref() {
    return {"xsa224_release_keeps_type_ref",
            "XSA-224",
            "grant_unmap",
            "releasing a writable mapping drops its general reference but not its type "
            "reference",
            {"type_count_matches"},
            make_spec<Handler>("grant_unmap", "grant", "mutant of grant_release",
                               mutants::unmap_args(), caller_is_live)};
}

} // namespace enso::verify
