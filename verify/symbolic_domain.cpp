#include "verify/symbolic_domain.hpp"

#include "hvcore/core/xen_abi.hpp"

namespace enso::verify {

namespace {
thread_local z3::context* g_scoped = nullptr;
} // namespace

z3::context& sym_ctx() {
    if (g_scoped != nullptr) {
        return *g_scoped;
    }
    thread_local z3::context ctx;
    return ctx;
}

FreshContext::FreshContext() : outer_(g_scoped), mine_(std::make_unique<z3::context>()) {
    g_scoped = mine_.get();
}

FreshContext::~FreshContext() {
    g_scoped = outer_;
}

z3::expr resize(const z3::expr& e, unsigned bits) {
    const unsigned have = e.get_sort().bv_size();
    if (have == bits) {
        return e;
    }
    if (have > bits) {
        return e.extract(bits - 1, 0);
    }
    return z3::zext(e, bits - have);
}

namespace {

constexpr unsigned kWordBits = 9; // 512 words of 8 bytes in a frame

z3::sort frame_sort() {
    auto& c = sym_ctx();
    return c.array_sort(c.bv_sort(kWordBits), c.bv_sort(64));
}

z3::expr word_index(const SymMemory::W& w) {
    return w.expr().extract(kWordBits - 1, 0);
}

} // namespace

SymMemory::SymMemory() : base_(sym_ctx().bool_val(false)), m_(base_) {}

SymMemory::SymMemory(const std::string& name)
    : base_(sym_ctx().constant(name.c_str(),
                               sym_ctx().array_sort(sym_ctx().bv_sort(32), frame_sort()))),
      m_(base_) {}

z3::expr SymMemory::word(const z3::expr& f32, const z3::expr& w9) const {
    z3::expr v = z3::select(z3::select(base_, f32), w9);
    for (const Write& x : log_) {
        if (x.value) {
            v = z3::ite(f32 == x.frame && w9 == *x.slot, *x.value, v);
        } else if (x.contents) {
            v = z3::ite(f32 == x.frame, z3::select(*x.contents, w9), v);
        } else {
            v = z3::ite(f32 == x.frame, sym_ctx().bv_val(0, 64), v);
        }
    }
    return v;
}

SymMemory::Q SymMemory::load64(const W& f, const W& w) const {
    return Q(word(f.expr(), word_index(w)));
}

void SymMemory::store64(const W& f, const W& w, const Q& v) {
    const z3::expr slot = word_index(w);
    log_.push_back({f.expr(), slot, v.expr(), std::nullopt});
    const z3::expr frame = z3::select(m_, f.expr());
    m_ = z3::store(m_, f.expr(), z3::store(frame, slot, v.expr()));
}

SymMemory::Q SymMemory::fetch_or64(const W& f, const W& w, const Q& v) {
    const Q old = load64(f, w);
    store64(f, w, old | v);
    return old;
}

SymMemory::Q SymMemory::fetch_and64(const W& f, const W& w, const Q& v) {
    const Q old = load64(f, w);
    store64(f, w, old & v);
    return old;
}

void SymMemory::clear_frame(const W& f) {
    auto& c = sym_ctx();
    log_.push_back({f.expr(), std::nullopt, std::nullopt, std::nullopt});
    m_ = z3::store(m_, f.expr(), z3::const_array(c.bv_sort(kWordBits), c.bv_val(0, 64)));
}

void SymMemory::copy(const W& dst, const W& dst_off, const W& /*src*/, const W& /*src_off*/,
                     const W& len) {
    auto& c = sym_ctx();
    // The destination frame: its new contents are not modelled.
    const std::string name = "copied_frame_" + std::to_string(havocs_++);
    const z3::expr contents = c.constant(name.c_str(), frame_sort());
    log_.push_back({dst.expr(), std::nullopt, std::nullopt, contents});
    m_ = z3::store(m_, dst.expr(), contents);
    // Where a copy runs past the frame's end (the machine's frames are one
    // array, as ConcreteMemory's memmove sees them), the next frame changes
    // too: a missing bounds check then writes whoever owns it. Exact for a
    // copy that ends within the next frame: the core's checks keep it in
    // one, and a bug that checks the offset but not the end (the seeded
    // copy_past_frame_end) in two; a copy reaching further is not modelled.
    const z3::expr end = z3::zext(dst_off.expr(), 32) + z3::zext(len.expr(), 32);
    const z3::expr past =
        len.expr() != c.bv_val(0, 32) && z3::ugt(end, c.bv_val(core::kPageSize, 64));
    // A branch of the path, not a term: where the core's check holds, the
    // spill is infeasible and no memory read pays for it.
    if (!Explorer::current().decide(past)) {
        return;
    }
    const z3::expr next = dst.expr() + c.bv_val(1, 32);
    const std::string spill_name = "copied_frame_" + std::to_string(havocs_++);
    const z3::expr spill = c.constant(spill_name.c_str(), frame_sort());
    log_.push_back({next, std::nullopt, std::nullopt, spill});
    m_ = z3::store(m_, next, spill);
}

} // namespace enso::verify
