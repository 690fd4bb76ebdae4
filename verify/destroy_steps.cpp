#include "verify/destroy_steps.hpp"

#include "hvcore/core/domain_lifecycle.hpp"
#include "verify/handler_catalog.hpp"

namespace enso::verify {

namespace {

using core::Rc;
using core::State;

struct ReleaseVcpuRoot {
    template <class V>
    static Rc run(State<V>& s, const Args<V>& a) {
        return core::release_vcpu_root<V>(s, a.u16(0), a.u32(1));
    }
};
struct ClearBaseptr {
    template <class V>
    static Rc run(State<V>& s, const Args<V>& a) {
        core::clear_baseptr<V>(s, a.u16(0));
        return core::kOk;
    }
};
struct ReleaseSharedFrames {
    template <class V>
    static Rc run(State<V>& s, const Args<V>& a) {
        core::domain_release_shared_frames<V>(s, a.u16(0));
        return core::kOk;
    }
};
// The last loop's body in domain_destroy.
struct ReleaseOwnedFrame {
    template <class V>
    static Rc run(State<V>& s, const Args<V>& a) {
        if (core::owned_by<V>(s, a.u32(1), a.u16(0))) {
            core::domain_release_frame<V>(s, a.u32(1));
        }
        return core::kOk;
    }
};
struct Finish {
    template <class V>
    static Rc run(State<V>& s, const Args<V>& a) {
        s.doms.effects.set(a.u16(0), core::as_u8<V>(core::kEffectMemslots | core::kEffectShutdown));
        return core::kOk;
    }
};

z3::expr arg_d() {
    return z3::zext(sym_ctx().bv_const("arg.d", 16), 16);
}
z3::expr u32(std::uint64_t v) {
    return bv(v, 32);
}

// What the driver has done to domain d before the shared frames go.
std::vector<Invariant> torn_down() {
    std::vector<Invariant> r;
    r.push_back({"destroy/ports_closed",
                 {},
                 {IndexClass::Port},
                 Instances::EveryCombination,
                 [](const StateView& v, const std::vector<z3::expr>& b) {
                     return z3::implies(z3::lshr(b[0], u32(core::kPortBits)) == arg_d(),
                                        v.port_state(b[0]) == bv(EVTCHNSTAT_closed, 8));
                 }});
    r.push_back({"destroy/handles_unmapped",
                 {},
                 {IndexClass::Map},
                 Instances::EveryCombination,
                 [](const StateView& v, const std::vector<z3::expr>& b) {
                     return z3::implies(z3::lshr(b[0], u32(core::kMaptrackBits)) == arg_d(),
                                        !v.map_has(b[0], core::kMapInUse));
                 }});
    r.push_back({"destroy/tables_released",
                 {},
                 {IndexClass::Frame},
                 Instances::EveryCombination,
                 [](const StateView& v, const std::vector<z3::expr>& b) {
                     return z3::implies(v.owned_by(b[0], arg_d().extract(15, 0)),
                                        !v.has(b[0], core::kFramePinned) &&
                                            !v.has(b[0], core::kFrameVcpuRoot) &&
                                            !v.has(b[0], core::kFrameValidated));
                 }});
    return r;
}

z3::expr live_without_root(const SState& s, const Args<Symbolic>& a) {
    const z3::expr d = z3::zext(a.raw(0), 16);
    return caller_is_live(s, a) && z3::select(s.doms.baseptr.expr(), d) == u32(core::kNoFrame);
}

z3::expr dying(const SState& s, const Args<Symbolic>& a) {
    const z3::expr d = z3::zext(a.raw(0), 16);
    return z3::ult(d, u32(core::kMaxDomains)) &&
           z3::select(s.doms.state.expr(), d) == bv(core::kDomDying, 8);
}

} // namespace

std::vector<HandlerSpec> destroy_steps() {
    using Phase = HandlerSpec::Phase;
    const ArgSpec d{"d", 16};
    std::vector<HandlerSpec> out;
    out.push_back(make_spec<ClearBaseptr>("destroy/clear_baseptr", "domain",
                                          "domain destroy: drop the root page table", {d},
                                          caller_is_live));
    out.push_back(make_spec<ReleaseVcpuRoot>("destroy/release_vcpu_root", "domain",
                                             "domain destroy: drop a vCPU root's references",
                                             {d, {"frame", 32}}, caller_is_live));

    HandlerSpec shared = make_spec<ReleaseSharedFrames>(
        "destroy/release_shared_frames", "domain",
        "domain destroy: return shared_info and grant frames, mark dying", {d}, live_without_root);
    shared.assumed = torn_down();
    shared.phase_after = Phase::Destroying;
    out.push_back(std::move(shared));

    HandlerSpec frame = make_spec<ReleaseOwnedFrame>(
        "destroy/release_frame", "domain", "domain destroy: drop one frame's allocation reference",
        {d, {"frame", 32}}, dying);
    frame.assumed = torn_down();
    // The shared frames went back in the step before: a dying domain's frame
    // the core still holds is a descriptor frame (hold_descriptor_frame),
    // which this step gives back. (The invariants alone do not say that only
    // shared_info and grant-table frames hold a writable-typed reference of
    // the core's, so without this the proof finds a dying domain's shared
    // page, which the driver never leaves.)
    frame.assumed.push_back({"destroy/shared_frames_returned",
                             {},
                             {IndexClass::Frame},
                             Instances::EveryCombination,
                             [](const StateView& v, const std::vector<z3::expr>& b) {
                                 return z3::implies(v.owned_by(b[0], arg_d().extract(15, 0)) &&
                                                        v.has(b[0], core::kFrameXenRef),
                                                    v.type(b[0]) == bv(core::kTypeSegDesc, 8));
                             }});
    frame.phase_before = Phase::Destroying;
    frame.phase_after = Phase::Destroying;
    out.push_back(std::move(frame));

    HandlerSpec finish =
        make_spec<Finish>("destroy/finish", "domain", "domain destroy: done once it owns no frame",
                          {d}, [](const SState&, const Args<Symbolic>& a) {
                              return z3::ult(z3::zext(a.raw(0), 16), u32(core::kMaxDomains));
                          });
    finish.assumed.push_back({"destroy/frames_released",
                              {},
                              {IndexClass::Frame},
                              Instances::EveryCombination,
                              [](const StateView& v, const std::vector<z3::expr>& b) {
                                  return !v.owned_by(b[0], arg_d().extract(15, 0));
                              }});
    finish.phase_before = Phase::Destroying;
    finish.phase_after = Phase::Normal;
    out.push_back(std::move(finish));
    return out;
}

} // namespace enso::verify
