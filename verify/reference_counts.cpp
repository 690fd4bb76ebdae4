#include "verify/reference_counts.hpp"

#include "hvcore/core/domain_table.hpp"
#include "hvcore/core/frame_refs.hpp"
#include "hvcore/core/grant_state.hpp"
#include "hvcore/core/limits.hpp"
#include "hvcore/core/page_table_entry.hpp"

#include <set>
#include <tuple>

namespace enso::verify {

namespace {

using OK = ObjectKind;

z3::expr u64(std::uint64_t v) {
    return bv(v, 64);
}
z3::expr u32(std::uint64_t v) {
    return bv(v, 32);
}
z3::expr one_if(const z3::expr& c) {
    return z3::ite(c, u64(1), u64(0));
}
z3::expr wide(const z3::expr& e) {
    return z3::zext(e, 64 - e.get_sort().bv_size());
}

// A present word of a validated table that holds references on its target:
// every word of an upper-level table, and an L1 word mapping a frame of the
// table's owner (a grant PTE's references are held by its maptrack entry).
z3::expr counted_entry(const StateView& v, const z3::expr& t, const z3::expr& i, const z3::expr& x,
                       bool typed) {
    const z3::expr e = v.word(t, i);
    const z3::expr tgt = StateView::target(e);
    const z3::expr upper = z3::uge(v.type(t), bv(core::kTypeL2, 8));
    z3::expr held = v.frame_ok(t) && v.table_word_live(t, i) && StateView::present(e) &&
                    v.frame_ok(tgt) && tgt == x && (upper || v.owned_by(tgt, v.owner(t)));
    if (typed) {
        held = held && (upper || StateView::rw(e));
    }
    return held;
}

z3::expr frame_contribution(const StateView& v, const Object& o, const z3::expr& x, bool typed) {
    switch (o.kind) {
    case OK::FrameHolds: {
        const z3::expr& g = o.a;
        z3::expr n = one_if(v.has(g, core::kFrameXenRef)) + one_if(v.has(g, core::kFramePinned)) +
                     one_if(v.has(g, core::kFrameVcpuRoot));
        if (!typed) {
            n = n + one_if(v.has(g, core::kFrameAllocated));
        }
        return z3::ite(v.frame_ok(g) && g == x, n, u64(0));
    }
    case OK::Baseptr: {
        const z3::expr root = v.baseptr(o.a);
        return one_if(z3::ult(o.a, u32(core::kMaxDomains)) && root != u32(core::kNoFrame) &&
                      v.frame_ok(root) && root == x);
    }
    case OK::Entry:
        return one_if(counted_entry(v, o.a, o.b, x, typed));
    case OK::ActiveGrant: {
        const z3::expr& gi = o.a;
        const z3::expr pins =
            typed ? wide(v.writers(gi)) : wide(v.readers(gi)) + wide(v.writers(gi));
        return z3::ite(z3::ult(gi, u32(1U << 16)) && v.act_frame(gi) == x, pins, u64(0));
    }
    default:
        return u64(0);
    }
}

z3::expr map_contribution(const StateView& v, const Object& o, const z3::expr& gi, bool writable) {
    const z3::expr& mi = o.a;
    const z3::expr ro = v.map_has(mi, core::kMapReadonly);
    return one_if(z3::ult(mi, u32(core::kMaxDomains << core::kMaptrackBits)) &&
                  v.map_has(mi, core::kMapInUse) && (writable ? !ro : ro) && v.grant_of(mi) == gi);
}

std::vector<CountFamily> make_all() {
    std::vector<CountFamily> all;
    const auto frame_ok = [](const StateView& v, const z3::expr& x) { return v.frame_ok(x); };
    all.push_back({"refcount",
                   {"refcount_covers_uses", "no_leaked_references"},
                   IndexClass::Frame,
                   {OK::FrameHolds, OK::Baseptr, OK::Entry, OK::ActiveGrant},
                   {"frames.count"},
                   frame_ok,
                   [](const StateView& v, const z3::expr& x) { return wide(v.count(x)); },
                   [](const StateView& v, const Object& o, const z3::expr& x) {
                       return frame_contribution(v, o, x, false);
                   }});
    all.push_back({"type_count",
                   {"type_count_matches"},
                   IndexClass::Frame,
                   {OK::FrameHolds, OK::Baseptr, OK::Entry, OK::ActiveGrant},
                   {"frames.type_count"},
                   frame_ok,
                   [](const StateView& v, const z3::expr& x) { return wide(v.tc(x)); },
                   [](const StateView& v, const Object& o, const z3::expr& x) {
                       return frame_contribution(v, o, x, true);
                   }});
    const auto grant_ok = [](const StateView&, const z3::expr& x) {
        return z3::ult(x, u32(1U << 16));
    };
    all.push_back({"grant_readers",
                   {"grant_status_matches_pins"},
                   IndexClass::Grant,
                   {OK::Maptrack},
                   {"grants.act_readers"},
                   grant_ok,
                   [](const StateView& v, const z3::expr& x) { return wide(v.readers(x)); },
                   [](const StateView& v, const Object& o, const z3::expr& x) {
                       return map_contribution(v, o, x, false);
                   }});
    all.push_back({"grant_writers",
                   {"grant_status_matches_pins"},
                   IndexClass::Grant,
                   {OK::Maptrack},
                   {"grants.act_writers"},
                   grant_ok,
                   [](const StateView& v, const z3::expr& x) { return wide(v.writers(x)); },
                   [](const StateView& v, const Object& o, const z3::expr& x) {
                       return map_contribution(v, o, x, true);
                   }});
    all.push_back(
        {"tot_pages",
         {"tot_pages_matches"},
         IndexClass::Dom,
         {OK::OwnedFrame},
         {"doms.tot_pages"},
         [](const StateView&, const z3::expr& x) { return z3::ult(x, u32(core::kMaxDomains)); },
         [](const StateView& v, const z3::expr& x) { return wide(v.tot_pages(x)); },
         [](const StateView& v, const Object& o, const z3::expr& x) {
             const z3::expr& g = o.a;
             return one_if(v.frame_ok(g) && v.count(g) != u32(0) && z3::zext(v.owner(g), 16) == x);
         }});
    return all;
}

} // namespace

const char* object_kind_name(ObjectKind k) {
    switch (k) {
    case OK::FrameHolds:
        return "frame holds";
    case OK::Baseptr:
        return "base pointer";
    case OK::Entry:
        return "page-table word";
    case OK::ActiveGrant:
        return "active grant";
    case OK::Maptrack:
        return "maptrack entry";
    case OK::OwnedFrame:
        return "owned frame";
    }
    return "?";
}

z3::expr same_object(const Object& x, const Object& y) {
    if (x.kind != y.kind) {
        return sym_ctx().bool_val(false);
    }
    if (x.kind == OK::Entry) {
        return x.a == y.a && x.b == y.b;
    }
    return x.a == y.a;
}

const std::vector<CountFamily>& count_families() {
    static const std::vector<CountFamily> all = make_all();
    return all;
}

z3::expr object_target(const StateView& v, const Object& o) {
    switch (o.kind) {
    case OK::FrameHolds:
        return o.a;
    case OK::Baseptr:
        return v.baseptr(o.a);
    case OK::Entry:
        return StateView::target(v.word(o.a, o.b));
    case OK::ActiveGrant:
        return v.act_frame(o.a);
    case OK::Maptrack:
        return v.grant_of(o.a);
    case OK::OwnedFrame:
        return z3::zext(v.owner(o.a), 16);
    }
    return o.a;
}

namespace {

std::vector<Invariant> make_lemmas() {
    std::vector<Invariant> out;
    for (const auto& f : count_families()) {
        for (const auto k : f.kinds) {
            Invariant lemma;
            lemma.name = std::string("coverage/") + f.name + "/" + object_kind_name(k);
            lemma.instances = k == OK::Entry ? Instances::PerWord : Instances::EveryCombination;
            switch (k) {
            case OK::FrameHolds:
            case OK::OwnedFrame:
                lemma.binders = {IndexClass::Frame};
                break;
            case OK::Baseptr:
                lemma.binders = {IndexClass::Dom};
                break;
            case OK::Entry:
                lemma.binders = {IndexClass::Frame, IndexClass::Slot};
                break;
            case OK::ActiveGrant:
                lemma.binders = {IndexClass::Grant};
                break;
            case OK::Maptrack:
                lemma.binders = {IndexClass::Map};
                break;
            }
            const CountFamily* fam = &f;
            lemma.body = [fam, k](const StateView& v, const std::vector<z3::expr>& b) {
                const Object o{k, b[0], b.size() > 1 ? b[1] : b[0]};
                const z3::expr x = object_target(v, o);
                std::vector<Object> objs{o};
                for (const auto fk : fam->kinds) {
                    if (fk == OK::FrameHolds && k != OK::FrameHolds) {
                        objs.push_back({OK::FrameHolds, x, x});
                    }
                }
                return z3::implies(fam->target_ok(v, x),
                                   z3::uge(fam->counter(v, x), distinct_sum(*fam, v, objs, x)));
            };
            out.push_back(std::move(lemma));
        }
    }
    // A domain owns distinct frames of the machine: never more than it has.
    out.push_back({"coverage/tot_pages/bounded",
                   {},
                   {IndexClass::Dom},
                   Instances::EveryCombination,
                   [](const StateView& v, const std::vector<z3::expr>& b) {
                       return z3::implies(z3::ult(b[0], u32(core::kMaxDomains)),
                                          z3::ule(v.tot_pages(b[0]), v.nr()));
                   }});
    // Every typed reference is also a general one, and the allocation
    // reference is untyped: a frame freed at count zero had no type count.
    out.push_back({"coverage/typed_uses_are_uses",
                   {},
                   {IndexClass::Frame},
                   Instances::EveryCombination,
                   [](const StateView& v, const std::vector<z3::expr>& b) {
                       return z3::implies(
                           v.frame_ok(b[0]),
                           z3::uge(wide(v.count(b[0])),
                                   wide(v.tc(b[0])) + one_if(v.has(b[0], core::kFrameAllocated))));
                   }});
    // Object by object a typed use is also an untyped one, so count -
    // type_count covers the uses that are untyped only: a grant's read pins,
    // a read-only leaf, the allocation. Without it a model may free a frame
    // (count 1 -> 0) that a second read pin it does not name still holds,
    // and drop a type count nothing typed held (grant_unmap).
    for (const auto k : {OK::Entry, OK::ActiveGrant}) {
        Invariant lemma;
        lemma.name = std::string("coverage/untyped_uses/") + object_kind_name(k);
        lemma.instances = k == OK::Entry ? Instances::PerWord : Instances::EveryCombination;
        lemma.binders = k == OK::Entry
                            ? std::vector<IndexClass>{IndexClass::Frame, IndexClass::Slot}
                            : std::vector<IndexClass>{IndexClass::Grant};
        lemma.body = [k](const StateView& v, const std::vector<z3::expr>& b) {
            const Object o{k, b[0], b.size() > 1 ? b[1] : b[0]};
            const z3::expr x = object_target(v, o);
            const std::vector<Object> objs{o, {OK::FrameHolds, x, x}};
            const z3::expr untyped_only = distinct_sum(objs, [&](const Object& p) {
                return frame_contribution(v, p, x, false) - frame_contribution(v, p, x, true);
            });
            return z3::implies(v.frame_ok(x),
                               z3::uge(wide(v.count(x)), wide(v.tc(x)) + untyped_only));
        };
        out.push_back(std::move(lemma));
    }
    return out;
}

} // namespace

const std::vector<Invariant>& coverage_lemmas() {
    static const std::vector<Invariant> all = make_lemmas();
    return all;
}

z3::expr distinct_sum(const std::vector<Object>& objects,
                      const std::function<z3::expr(const Object&)>& term) {
    z3::expr sum = u64(0);
    std::set<std::tuple<int, unsigned, unsigned>> seen;
    std::vector<const Object*> kept;
    for (const Object& o : objects) {
        if (!seen.insert({static_cast<int>(o.kind), o.a.id(), o.b.id()}).second) {
            continue; // the same terms twice: the same object
        }
        z3::expr fresh = sym_ctx().bool_val(true);
        for (const Object* p : kept) {
            if (p->kind == o.kind) {
                fresh = fresh && !same_object(o, *p);
            }
        }
        kept.push_back(&o);
        const z3::expr t = term(o);
        sum = sum + (fresh.is_true() ? t : z3::ite(fresh, t, u64(0)));
    }
    return sum;
}

z3::expr distinct_sum(const CountFamily& f, const StateView& v, const std::vector<Object>& objects,
                      const z3::expr& x) {
    return distinct_sum(objects, [&](const Object& o) { return f.contribution(v, o, x); });
}

} // namespace enso::verify
