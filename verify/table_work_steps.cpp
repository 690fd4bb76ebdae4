// The table-work steps as catalogue entries (table_work_steps.hpp).
#include "verify/table_work_steps.hpp"

#include "hvcore/core/table_entry_refs.hpp"
#include "hvcore/core/table_work.hpp"
#include "verify/symbolic_domain.hpp"

namespace enso::verify {

namespace {

using core::Rc;
using core::State;

// --- The steps: the core's functions, unchanged -------------------------------
struct BeginValidation {
    template <class V>
    static Rc run(State<V>& s, const Args<V>& a) {
        return core::begin_validation<V>(s, a.u32(0), a.u8(1));
    }
};
struct ValidateEntry {
    template <class V>
    static Rc run(State<V>& s, const Args<V>& a) {
        return core::validate_entry<V>(s, a.u32(0), a.u8(1), a.u32(2));
    }
};
struct EndValidation {
    template <class V>
    static Rc run(State<V>& s, const Args<V>& a) {
        core::end_validation<V>(s, a.u32(0), typename V::Bool(true));
        return core::kOk;
    }
};
struct FailValidation {
    template <class V>
    static Rc run(State<V>& s, const Args<V>& a) {
        core::end_validation<V>(s, a.u32(0), typename V::Bool(false));
        return core::kOk;
    }
};
struct ReleaseEntry {
    template <class V>
    static Rc run(State<V>& s, const Args<V>& a) {
        core::release_entry<V>(s, a.u32(0), a.u32(1));
        return core::kOk;
    }
};
struct EndDevalidation {
    template <class V>
    static Rc run(State<V>& s, const Args<V>& a) {
        core::end_devalidation<V>(s, a.u32(0));
        return core::kOk;
    }
};

// --- The ghost ----------------------------------------------------------------
z3::expr u8(std::uint64_t v) {
    return bv(v, 8);
}
z3::expr u16(std::uint64_t v) {
    return bv(v, 16);
}
z3::expr u32(std::uint64_t v) {
    return bv(v, 32);
}
z3::expr is_table_type(const z3::expr& t) {
    return z3::uge(t, u8(core::kTypeL1)) && z3::ule(t, u8(core::kTypeL4));
}
z3::expr progress_of(const z3::expr& ghost, const z3::expr& f) {
    return z3::select(ghost, f);
}
z3::expr progress_of(const StateView& v, const z3::expr& f) {
    return z3::select(*v.progress(), f);
}

// What holds of the progress of every frame: a table being validated is
// allocated and of a page-table type (so no entry can take a type
// reference on it: a self-reference is refused), a table being devalidated
// has no type references, and the progress stays in range.
Invariant progress_invariant() {
    return {"aux/table_work/progress",
            {},
            {IndexClass::Frame},
            Instances::EveryCombination,
            [](const StateView& v, const std::vector<z3::expr>& b) {
                const z3::expr& t = b[0];
                const z3::expr p = progress_of(v, t);
                const z3::expr valid = v.has(t, core::kFrameValidated);
                return z3::implies(
                    v.frame_ok(t),
                    z3::ule(p, u16(core::kEntriesPerTable + 1)) &&
                        z3::implies(valid, z3::ule(p, u16(core::kEntriesPerTable)) &&
                                               z3::implies(p != u16(0), v.tc(t) == u32(0))) &&
                        z3::implies(!valid && p != u16(0),
                                    is_table_type(v.type(t)) && v.has(t, core::kFrameAllocated)));
            }};
}

// Validation takes type references, and the driver devalidates a table in
// one go: no devalidation is under way while a table is validated.
Invariant no_devalidation_under_way() {
    return {"table_work/no_devalidation_under_way",
            {},
            {IndexClass::Frame},
            Instances::EveryCombination,
            [](const StateView& v, const std::vector<z3::expr>& b) {
                return z3::implies(v.frame_ok(b[0]) && v.has(b[0], core::kFrameValidated),
                                   progress_of(v, b[0]) == u16(0));
            }};
}

// The pre-state as a precondition sees it (the ghost is a named constant).
struct Pre {
    const SState& s;
    z3::expr witness = make_pte_witness();
    z3::expr ghost = StateView::progress_ghost();
    StateView v;
    explicit Pre(const SState& st) : s(st), v(st, witness, bv(StateView::kNoDomain, 32)) {
        v.set_progress(ghost);
    }
    [[nodiscard]] z3::expr progress(const z3::expr& f) const { return progress_of(ghost, f); }
};

z3::expr slot_at(const z3::expr& slot32, const z3::expr& p16, unsigned plus) {
    return z3::ult(slot32, u32(core::kEntriesPerTable)) && z3::zext(p16, 16) == slot32 + u32(plus);
}

z3::expr set_progress(const z3::expr& ghost, const z3::expr& f, const z3::expr& p) {
    return z3::store(ghost, f, p);
}

std::pair<z3::expr, z3::expr> word_of(const Args<Symbolic>& a, std::size_t slot_arg) {
    return {a.raw(0), resize(a.raw(slot_arg), 9)};
}

// --- The whole operations, for the replay ------------------------------------
// The machine as a handler leaves it when it asks for table work on the
// step's frame (State::work): the replay then runs that work as the core
// does (do_table_work).
// To validate: the frame plain memory (typed writable, as before
// begin_validation), pinned by nobody and nobody's root. The level is the
// step's argument where it has one, else the model's type (L1 if none).
// Drops what holds frame f's type besides its entries: its pin and any
// domain's base pointer to it.
void unhold(CState& s, std::uint32_t f) {
    using namespace core;
    s.frames.flags.set(f, static_cast<std::uint8_t>(s.frames.flags.get(f) & ~kFramePinned));
    for (std::uint16_t d = 0; d < kMaxDomains; ++d) {
        if (s.doms.baseptr.get(d) == f) {
            s.doms.baseptr.set(d, kNoFrame);
        }
    }
}

void start_validation(CState& s, const std::vector<std::uint64_t>& args, bool has_level) {
    using namespace core;
    const auto f = static_cast<std::uint32_t>(args.at(0));
    if (f >= s.nr_frames) {
        return;
    }
    auto level = has_level ? static_cast<std::uint8_t>(args.at(1)) : s.frames.type.get(f);
    if (level < kTypeL1 || level > kTypeL4) {
        level = kTypeL1;
    }
    s.frames.type.set(f, kTypeWritable);
    s.frames.flags.set(f, static_cast<std::uint8_t>(s.frames.flags.get(f) & ~kFrameValidated));
    unhold(s, f);
    s.work = kWorkValidate;
    s.work_frame = f;
    s.work_type = level;
}

// To devalidate: a validated table, pinned by nobody and nobody's root.
void start_devalidation(CState& s, const std::vector<std::uint64_t>& args) {
    using namespace core;
    const auto f = static_cast<std::uint32_t>(args.at(0));
    if (f >= s.nr_frames) {
        return;
    }
    if (s.frames.type.get(f) < kTypeL1 || s.frames.type.get(f) > kTypeL4) {
        s.frames.type.set(f, kTypeL1);
    }
    s.frames.flags.set(f, static_cast<std::uint8_t>(s.frames.flags.get(f) | kFrameValidated));
    unhold(s, f);
    s.work = kWorkDevalidate;
    s.work_frame = f;
}

// The work asked for, as the core runs it; a table the core would not
// devalidate (still typed by a reference) is left alone.
core::Rc run_table_work(RState& s, const Args<core::Concrete>& /*a*/) {
    if (s.work == core::kWorkDevalidate && s.frames.type_count.get(s.work_frame) != 0) {
        return core::kEBUSY;
    }
    return core::do_table_work<ReplayConcrete>(s);
}

void validates(HandlerSpec& h, bool has_level) {
    h.whole_start = [has_level](CState& s, const std::vector<std::uint64_t>& args) {
        start_validation(s, args, has_level);
    };
    h.whole = run_table_work;
}

void devalidates(HandlerSpec& h) {
    h.whole_start = start_devalidation;
    h.whole = run_table_work;
}

} // namespace

std::vector<HandlerSpec> table_work_steps() {
    const ArgSpec f{"frame", 32};
    const ArgSpec level{"level", 8};
    const ArgSpec slot{"slot", 32};
    const unsigned n = core::kEntriesPerTable;
    std::vector<HandlerSpec> out;
    auto add = [&](HandlerSpec h) {
        h.kept.push_back(progress_invariant());
        out.push_back(std::move(h));
    };

    HandlerSpec begin = make_spec<BeginValidation>(
        "table_work/begin_validation", "mmu",
        "table work: a frame takes a page-table type, unvalidated", {f, level},
        [](const SState& s, const Args<Symbolic>& a) {
            const Pre p(s);
            const z3::expr& fr = a.raw(0);
            return p.v.frame_ok(fr) && p.v.has(fr, core::kFrameAllocated) &&
                   is_table_type(a.raw(1)) && !is_table_type(p.v.type(fr));
        });
    begin.progress_after = [](const z3::expr& g, const Args<Symbolic>& a, bool ok) {
        return ok ? set_progress(g, a.raw(0), u16(1)) : g;
    };
    validates(begin, true);
    add(std::move(begin));

    HandlerSpec entry = make_spec<ValidateEntry>(
        "table_work/validate_entry", "mmu",
        "table work: validation takes the references of one entry", {f, level, slot},
        [](const SState& s, const Args<Symbolic>& a) {
            const Pre p(s);
            const z3::expr& fr = a.raw(0);
            return p.v.frame_ok(fr) && !p.v.has(fr, core::kFrameValidated) &&
                   p.v.type(fr) == a.raw(1) && is_table_type(a.raw(1)) &&
                   p.progress(fr) != u16(0) && slot_at(a.raw(2), p.progress(fr), 1);
        });
    entry.assumed.push_back(no_devalidation_under_way());
    entry.progress_after = [](const z3::expr& g, const Args<Symbolic>& a, bool ok) {
        return ok ? set_progress(g, a.raw(0), progress_of(g, a.raw(0)) + u16(1)) : g;
    };
    entry.progress_word = [](const Args<Symbolic>& a) { return word_of(a, 2); };
    validates(entry, true);
    add(std::move(entry));

    HandlerSpec end = make_spec<EndValidation>(
        "table_work/end_validation", "mmu", "table work: every entry validated, the table is valid",
        {f}, [n](const SState& s, const Args<Symbolic>& a) {
            const Pre p(s);
            const z3::expr& fr = a.raw(0);
            return p.v.frame_ok(fr) && !p.v.has(fr, core::kFrameValidated) &&
                   p.progress(fr) == u16(n + 1);
        });
    end.progress_after = [](const z3::expr& g, const Args<Symbolic>& a, bool) {
        return set_progress(g, a.raw(0), u16(0));
    };
    validates(end, false);
    add(std::move(end));

    HandlerSpec undo = make_spec<ReleaseEntry>(
        "table_work/undo_entry", "mmu",
        "table work: a failed validation releases an entry it took, last first", {f, slot},
        [](const SState& s, const Args<Symbolic>& a) {
            const Pre p(s);
            const z3::expr& fr = a.raw(0);
            return p.v.frame_ok(fr) && !p.v.has(fr, core::kFrameValidated) &&
                   slot_at(a.raw(1), p.progress(fr), 2);
        });
    undo.progress_after = [](const z3::expr& g, const Args<Symbolic>& a, bool) {
        return set_progress(g, a.raw(0), progress_of(g, a.raw(0)) - u16(1));
    };
    undo.progress_word = [](const Args<Symbolic>& a) { return word_of(a, 1); };
    validates(undo, false);
    add(std::move(undo));

    HandlerSpec fail = make_spec<FailValidation>(
        "table_work/fail_validation", "mmu",
        "table work: a failed validation, every entry released, leaves no type", {f},
        [](const SState& s, const Args<Symbolic>& a) {
            const Pre p(s);
            const z3::expr& fr = a.raw(0);
            return p.v.frame_ok(fr) && !p.v.has(fr, core::kFrameValidated) &&
                   p.progress(fr) == u16(1);
        });
    fail.progress_after = [](const z3::expr& g, const Args<Symbolic>& a, bool) {
        return set_progress(g, a.raw(0), u16(0));
    };
    validates(fail, false);
    add(std::move(fail));

    HandlerSpec release = make_spec<ReleaseEntry>(
        "table_work/release_entry", "mmu", "table work: devalidation releases one entry", {f, slot},
        [](const SState& s, const Args<Symbolic>& a) {
            const Pre p(s);
            const z3::expr& fr = a.raw(0);
            return p.v.frame_ok(fr) && p.v.validated_table(fr) && p.v.tc(fr) == u32(0) &&
                   slot_at(a.raw(1), p.progress(fr), 0);
        });
    release.progress_after = [](const z3::expr& g, const Args<Symbolic>& a, bool) {
        return set_progress(g, a.raw(0), progress_of(g, a.raw(0)) + u16(1));
    };
    release.progress_word = [](const Args<Symbolic>& a) { return word_of(a, 1); };
    devalidates(release);
    add(std::move(release));

    HandlerSpec devalidated =
        make_spec<EndDevalidation>("table_work/end_devalidation", "mmu",
                                   "table work: every entry released, the frame is plain memory",
                                   {f}, [n](const SState& s, const Args<Symbolic>& a) {
                                       const Pre p(s);
                                       const z3::expr& fr = a.raw(0);
                                       return p.v.frame_ok(fr) && p.v.validated_table(fr) &&
                                              p.v.tc(fr) == u32(0) && p.progress(fr) == u16(n);
                                   });
    devalidated.progress_after = [](const z3::expr& g, const Args<Symbolic>& a, bool) {
        return set_progress(g, a.raw(0), u16(0));
    };
    devalidates(devalidated);
    add(std::move(devalidated));
    return out;
}

Goal table_work_request_goal(const PathContext& path, std::uint8_t work) {
    const StateView& v = path.post;
    const SState& after = v.state();
    const z3::expr f = after.work_frame.expr();
    const z3::expr t = after.work_type.expr();
    z3::expr ok = sym_ctx().bool_val(false);
    if (work == core::kWorkValidate) {
        ok = v.frame_ok(f) && v.has(f, core::kFrameAllocated) && is_table_type(t) &&
             !is_table_type(v.type(f));
    } else if (work == core::kWorkDevalidate) {
        ok = v.frame_ok(f) && v.validated_table(f) && v.tc(f) == u32(0);
        if (v.progress()) {
            ok = ok && progress_of(v, f) == u16(0);
        }
    }
    return {"table_work/request",
            {},
            !ok,
            {{ObjectKind::FrameHolds, f, f}},
            {},
            {{"work_frame", f}, {"work_type", t}}};
}

} // namespace enso::verify
