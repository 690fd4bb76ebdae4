// The guest step as a catalogue entry (guest_step.hpp).
#include "verify/guest_step.hpp"

#include "hvcore/core/guest_write.hpp"
#include "verify/handler_catalog.hpp"

namespace enso::verify {

namespace {

struct GuestWrite {
    template <class V>
    static core::Rc run(core::State<V>& s, const Args<V>& a) {
        return core::guest_write_word<V>(s, a.u16(0), a.u32(1), a.u32(2), a.u64(3), a.u32(4));
    }
};

} // namespace

HandlerSpec guest_step() {
    HandlerSpec h = make_spec<GuestWrite>(
        "guest/write_word", "guest", "a domain stores a word of a frame it can write",
        {{"d", 16}, {"frame", 32}, {"word", 32}, {"value", 64}, {"handle", 32}}, caller_is_live);
    h.guest = true;
    return h;
}

} // namespace enso::verify
