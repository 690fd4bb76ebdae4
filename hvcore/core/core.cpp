#include "hvcore/core/core.hpp"

#include "hvcore/core/descriptor_update.hpp"
#include "hvcore/core/domain_lifecycle.hpp"
#include "hvcore/core/guest_memory.hpp"
#include "hvcore/core/memory_reservation.hpp"
#include "hvcore/core/pv_mmu.hpp"
#include "hvcore/core/state_init.hpp"
#include "hvcore/core/table_entry_refs.hpp"
#include "hvcore/core/table_work.hpp"
#include "hvcore/core/vcpu_root.hpp"

#include <algorithm>

namespace enso::core {

Core::Core(std::span<std::byte> machine_memory) : console_(kMaxDomains) {
    init_state<Concrete>(s_, static_cast<std::uint32_t>(machine_memory.size() / kPageSize));
    s_.mem = ConcreteMemory(machine_memory);
}

std::uint32_t Core::free_frames() const {
    std::uint32_t n = 0;
    for (std::uint32_t f = 1; f < s_.nr_frames; ++f) {
        n += frame_free<Concrete>(s_, f) ? 1 : 0;
    }
    return n;
}

std::uint32_t Core::pick_free_frame() {
    const std::uint32_t n = s_.nr_frames;
    for (std::uint32_t i = 0; i + 1 < n; ++i) {
        std::uint32_t f = alloc_cursor_;
        alloc_cursor_ = (alloc_cursor_ + 1 < n) ? alloc_cursor_ + 1 : 1;
        if (frame_free<Concrete>(s_, f)) {
            return f;
        }
    }
    return kNoFrame;
}

std::uint32_t Core::pick_free_handle(std::uint16_t d) const {
    for (std::uint32_t h = 0; h < kMaxMaptrack; ++h) {
        if ((s_.grants.map_flags.get(maptrack_index<Concrete>(d, h)) & kMapInUse) == 0) {
            return h;
        }
    }
    return kNoHandle;
}

std::uint32_t Core::pick_free_port(std::uint16_t d) const {
    for (std::uint32_t p = 1; p < kMaxPorts; ++p) {
        if (s_.evtchn.state.get(port_index<Concrete>(d, p)) == EVTCHNSTAT_closed) {
            return p;
        }
    }
    return 0;
}

// The entry points below are flattened: the handler, its helpers and this
// wrapper inline into one function each (do_table_work stays out of line),
// which is what keeps the concrete core at the cost of hand-written code.
#define ENSO_FLATTEN [[gnu::flatten]]

template <class Handler>
Rc Core::with_table_work(Handler&& handler) {
    return enso::core::with_table_work<Concrete>(s_, std::forward<Handler>(handler));
}

Rc Core::validate_table(std::uint32_t frame, std::uint8_t level) {
    return enso::core::validate_table<Concrete>(s_, frame, level);
}

void Core::devalidate_table(std::uint32_t frame) {
    enso::core::devalidate_table<Concrete>(s_, frame);
}

bool Core::domid_named_by_ports(std::uint16_t d) const {
    for (std::uint16_t e = 0; e < kMaxDomains; ++e) {
        if (s_.doms.state.get(e) != kDomLive) {
            continue;
        }
        for (std::uint32_t p = 1; p < kMaxPorts; ++p) {
            const auto pi = port_index<Concrete>(e, p);
            if (s_.evtchn.state.get(pi) != EVTCHNSTAT_closed && s_.evtchn.remote_dom.get(pi) == d) {
                return true;
            }
        }
    }
    return false;
}

std::uint16_t Core::pick_free_domid(const std::function<bool(std::uint16_t)>& taken) const {
    constexpr std::uint32_t kGuestIds = kMaxDomains - 1; // 1 .. kMaxDomains-1
    for (const bool avoid_named : {true, false}) {
        for (std::uint32_t i = 1; i <= kGuestIds; ++i) {
            const auto d = static_cast<std::uint16_t>(1 + (last_domid_ + i - 1) % kGuestIds);
            if (s_.doms.state.get(d) != kDomFree || (taken && taken(d)) ||
                (avoid_named && domid_named_by_ports(d))) {
                continue;
            }
            return d;
        }
    }
    return 0;
}

bool Core::domain_exists(std::uint16_t d) const {
    return d < kMaxDomains && s_.doms.state.get(d) == kDomLive;
}

Rc Core::create_domain(std::uint16_t d, std::uint32_t max_pages) {
    if (d >= kMaxDomains) {
        return kEINVAL;
    }
    if (s_.doms.state.get(d) != kDomFree) {
        return kEEXIST;
    }
    const std::uint32_t frame = pick_free_frame();
    if (frame == kNoFrame) {
        return kENOMEM;
    }
    console_[d].clear();
    const Rc rc = domain_create<Concrete>(s_, d, max_pages, frame);
    if (rc == kOk && d != 0) {
        last_domid_ = d;
    }
    return rc;
}

Rc Core::destroy_domain(std::uint16_t d) {
    return domain_destroy<Concrete>(s_, d);
}

Rc Core::reserve_frame(std::uint16_t d, std::uint32_t& frame) {
    if (!domain_exists(d)) {
        return kESRCH;
    }
    if (s_.doms.tot_pages.get(d) >= s_.doms.max_pages.get(d)) {
        return kENOMEM;
    }
    frame = pick_free_frame();
    if (frame == kNoFrame) {
        return kENOMEM;
    }
    return enso::core::reserve_frame<Concrete>(s_, d, frame);
}

ENSO_FLATTEN Rc Core::release_frame(std::uint16_t d, std::uint32_t frame) {
    return with_table_work([&] { return enso::core::release_frame<Concrete>(s_, d, frame); });
}

Rc Core::hold_descriptor_frame(std::uint16_t d, std::uint32_t frame) {
    if (d >= kMaxDomains || frame >= s_.nr_frames) {
        return kEINVAL;
    }
    return enso::core::hold_descriptor_frame<Concrete>(s_, d, frame);
}

ENSO_FLATTEN Rc Core::mmu_update(std::uint16_t d, std::uint64_t ptr, std::uint64_t val) {
    return with_table_work([&] { return mmu_update_entry<Concrete>(s_, d, ptr, val); });
}

ENSO_FLATTEN Rc Core::pin_table(std::uint16_t d, std::uint32_t frame, std::uint8_t level) {
    return with_table_work([&] { return enso::core::pin_table<Concrete>(s_, d, frame, level); });
}

Rc Core::unpin_table(std::uint16_t d, std::uint32_t frame) {
    return enso::core::unpin_table<Concrete>(s_, d, frame);
}

ENSO_FLATTEN Rc Core::new_baseptr(std::uint16_t d, std::uint32_t frame) {
    return with_table_work([&] { return enso::core::new_baseptr<Concrete>(s_, d, frame); });
}

ENSO_FLATTEN Rc Core::update_va_mapping(std::uint16_t d, std::uint64_t va, std::uint64_t val,
                                        std::uint64_t flags) {
    return with_table_work(
        [&] { return enso::core::update_va_mapping<Concrete>(s_, d, va, val, flags); });
}

ENSO_FLATTEN Rc Core::update_descriptor(std::uint16_t d, std::uint64_t maddr, std::uint64_t desc) {
    return with_table_work(
        [&] { return enso::core::update_descriptor<Concrete>(s_, d, maddr, desc); });
}

ENSO_FLATTEN Rc Core::hold_vcpu_root(std::uint16_t d, std::uint32_t frame) {
    return with_table_work([&] { return enso::core::hold_vcpu_root<Concrete>(s_, d, frame); });
}

Rc Core::grant_setup_table(std::uint16_t d, std::uint32_t nr_frames,
                           std::vector<std::uint32_t>& frames_out) {
    if (!domain_exists(d)) {
        return GNTST_bad_domain;
    }
    if (nr_frames > kMaxGrantFrames) {
        return GNTST_general_error;
    }
    while (s_.doms.gnttab_nr_frames.get(d) < nr_frames) {
        const std::uint32_t frame = pick_free_frame();
        if (frame == kNoFrame || gnttab_add_frame<Concrete>(s_, d, frame) != kOk) {
            return GNTST_general_error;
        }
    }
    frames_out.clear();
    for (std::uint32_t i = 0; i < nr_frames; ++i) {
        frames_out.push_back(s_.doms.gnttab_frame.get(gnttab_frame_index<Concrete>(d, i)));
    }
    return GNTST_okay;
}

Rc Core::grant_set_version(std::uint16_t d, std::uint32_t version) {
    if (!domain_exists(d)) {
        return kESRCH;
    }
    if ((version == 1 || version == 2) && version != grant_version(d)) {
        // Xen refuses to change the layout under a grant in use (it spares
        // the eight entries its toolstack reserves; Enso spares none).
        for (std::uint32_t ref = 0; ref < kMaxGrantRefs; ++ref) {
            const auto gi = grant_index<Concrete>(d, ref);
            if (s_.grants.act_readers.get(gi) + s_.grants.act_writers.get(gi) != 0) {
                return kEBUSY;
            }
        }
    }
    std::uint32_t frame = kNoFrame;
    if (version == 2 && grant_version(d) == 1) {
        frame = pick_free_frame();
        if (frame == kNoFrame) {
            return kENOMEM;
        }
    }
    return set_grant_version<Concrete>(s_, d, version, frame);
}

std::uint32_t Core::grant_version(std::uint16_t d) const {
    return grant_status_frame(d) == kNoFrame ? 1 : 2;
}

std::uint32_t Core::grant_status_frame(std::uint16_t d) const {
    return d < kMaxDomains ? s_.doms.gnttab_status.get(d) : kNoFrame;
}

ENSO_FLATTEN Rc Core::grant_map(std::uint16_t d, std::uint16_t granter, std::uint32_t ref,
                                std::uint32_t flags, std::uint64_t host_addr, std::uint32_t& handle,
                                std::uint64_t& dev_bus_addr) {
    if (!domain_exists(d)) {
        return GNTST_bad_domain;
    }
    handle = pick_free_handle(d);
    return with_table_work([&] {
        return enso::core::grant_map<Concrete>(s_, d, granter, ref, flags, host_addr, handle,
                                               dev_bus_addr);
    });
}

Rc Core::grant_unmap(std::uint16_t d, std::uint32_t handle, std::uint64_t host_addr,
                     std::uint64_t dev_bus_addr) {
    if (!domain_exists(d)) {
        return GNTST_bad_domain;
    }
    return enso::core::grant_unmap<Concrete>(s_, d, handle, host_addr, dev_bus_addr);
}

Rc Core::grant_unmap_and_replace(std::uint16_t d, std::uint32_t handle, std::uint64_t host_addr,
                                 std::uint64_t new_addr) {
    if (!domain_exists(d)) {
        return GNTST_bad_domain;
    }
    return enso::core::grant_unmap_and_replace<Concrete>(s_, d, handle, host_addr, new_addr);
}

ENSO_FLATTEN Rc Core::grant_copy(std::uint16_t d, const CopySide<Concrete>& src,
                                 const CopySide<Concrete>& dst, std::uint32_t len) {
    if (!domain_exists(d)) {
        return GNTST_bad_domain;
    }
    return with_table_work([&] { return enso::core::grant_copy<Concrete>(s_, d, src, dst, len); });
}

void Core::grant_write_entry(std::uint16_t granter, std::uint32_t ref, std::uint16_t flags,
                             std::uint16_t grantee, std::uint32_t frame) {
    const std::uint64_t word =
        (std::uint64_t{frame} << 32) | (std::uint64_t{grantee} << 16) | flags;
    s_.mem.store64(grant_entry_frame<Concrete>(s_, granter, ref), grant_entry_word<Concrete>(ref),
                   word);
}

bool Core::grant_end_access(std::uint16_t granter, std::uint32_t ref) {
    const auto frame = grant_entry_frame<Concrete>(s_, granter, ref);
    const auto word = grant_entry_word<Concrete>(ref);
    std::uint64_t cur = s_.mem.load64(frame, word);
    do {
        if ((cur & (GTF_reading | GTF_writing)) != 0) {
            return false;
        }
    } while (!s_.mem.compare_exchange64(frame, word, cur, cur & ~std::uint64_t{0xffff}));
    return true;
}

Rc Core::evtchn_alloc_unbound(std::uint16_t caller, std::uint16_t dom, std::uint16_t remote,
                              std::uint32_t& port) {
    const auto ld = resolve_domid<Concrete>(caller, dom);
    port = ld < kMaxDomains ? pick_free_port(ld) : 0;
    return enso::core::evtchn_alloc_unbound<Concrete>(s_, caller, dom, remote, port);
}

Rc Core::evtchn_bind_interdomain(std::uint16_t d, std::uint16_t remote, std::uint32_t remote_port,
                                 std::uint32_t& local_port) {
    if (!domain_exists(d)) {
        return kESRCH;
    }
    local_port = pick_free_port(d);
    return enso::core::evtchn_bind_interdomain<Concrete>(s_, d, remote, remote_port, local_port);
}

Rc Core::evtchn_send(std::uint16_t d, std::uint32_t port) {
    return domain_exists(d) ? enso::core::evtchn_send<Concrete>(s_, d, port) : kESRCH;
}

Rc Core::evtchn_close(std::uint16_t d, std::uint32_t port) {
    return domain_exists(d) ? enso::core::evtchn_close<Concrete>(s_, d, port) : kESRCH;
}

Rc Core::evtchn_unmask(std::uint16_t d, std::uint32_t port) {
    return domain_exists(d) ? enso::core::evtchn_unmask<Concrete>(s_, d, port) : kESRCH;
}

bool Core::evtchn_pending(std::uint16_t d, std::uint32_t port) const {
    if (!domain_exists(d) || port >= kMaxPorts) {
        return false;
    }
    const auto word = s_.mem.load64(s_.doms.shared_info.get(d), kEvtchnPendingWord + (port >> 6));
    return (word & port_bit<Concrete>(port)) != 0;
}

void Core::console_append(std::uint16_t d, std::string_view text) {
    auto& out = console_[d];
    out.append(text);
    if (out.size() > kConsoleKeep) {
        out.erase(0, out.size() - kConsoleKeep);
    }
}

std::uint8_t Core::take_effects(std::uint16_t d) {
    const auto e = s_.doms.effects.get(d);
    s_.doms.effects.set(d, 0);
    return e;
}

bool Core::domid_free(std::uint16_t d) const {
    return d < kMaxDomains && s_.doms.state.get(d) == kDomFree;
}

int Core::shutdown_code(std::uint16_t d) const {
    return s_.doms.shutdown_code.get(d);
}

std::uint32_t Core::root_table(std::uint16_t d) const {
    return s_.doms.baseptr.get(d);
}

bool Core::owns_frame(std::uint16_t d, std::uint32_t frame) const {
    return owned_by<Concrete>(s_, frame, d);
}

Rc Core::guest_read(std::uint16_t d, std::uint64_t va, std::span<std::byte> out) const {
    return GuestMemory(s_, d).copy_from(va, out);
}

Rc Core::guest_write(std::uint16_t d, std::uint64_t va, std::span<const std::byte> in) const {
    return GuestMemory(s_, d).copy_to(va, in);
}

void Core::take_pending_ports(std::uint16_t d, const std::function<void(std::uint32_t)>& each) {
    auto& mem = s_.mem;
    const auto si = s_.doms.shared_info.get(d);
    mem.store64(si, kUpcallPendingWord, 0);
    mem.store64(si, kPendingSelWord, 0);
    for (std::uint32_t word = 0; word < kMaxPorts / 64; ++word) {
        std::uint64_t bits = mem.load64(si, kEvtchnPendingWord + word);
        if (bits == 0) {
            continue;
        }
        mem.fetch_and64(si, kEvtchnPendingWord + word, ~bits);
        while (bits != 0) {
            each(word * 64 + static_cast<std::uint32_t>(__builtin_ctzll(bits)));
            bits &= bits - 1;
        }
    }
}

} // namespace enso::core
