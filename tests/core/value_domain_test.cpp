// "One handler, two semantics", checked before the verifier exists: every
// handler template is instantiated over `Boxed`, a value domain that behaves
// like the symbolic one will - values are opaque boxes with no conversion to
// plain integers, booleans become `bool` only where the handler branches
// (where the path explorer will decide), arrays and memory are total - and
// random sequences run on both domains side by side must return the same
// results and leave identical states.
#include "hvcore/core/domain_lifecycle.hpp"
#include "hvcore/core/state_init.hpp"
#include "hvcore/core/table_work.hpp"
#include "test_machine.hpp"

#include <concepts>
#include <random>
#include <type_traits>

namespace enso::test {
namespace {

template <class U>
concept Plain = std::integral<U> || std::is_enum_v<U>;

class BoolBox {
public:
    BoolBox(bool b) : b_(b) {} // NOLINT: constants are fine, as in z3
    explicit operator bool() const { return b_; }
    friend BoolBox operator!(BoolBox a) { return !a.b_; }
    friend BoolBox operator&&(BoolBox a, BoolBox b) { return a.b_ && b.b_; }
    friend BoolBox operator||(BoolBox a, BoolBox b) { return a.b_ || b.b_; }
    friend BoolBox operator==(BoolBox a, BoolBox b) { return a.b_ == b.b_; }

private:
    bool b_;
};

template <class T>
struct Box {
    using type = T;
    T v{};
    Box() = default;
    template <Plain U>
    Box(U x) : v(static_cast<T>(x)) {} // NOLINT: constants only, never the way back
};

template <class T, class U>
T plain(U x) {
    if constexpr (Plain<U>) {
        return static_cast<T>(x);
    } else {
        return static_cast<T>(x.v);
    }
}

// Binary operators on two boxes of one width, or a box and a constant.
#define ENSO_BOX_OP(op, result)                                                                    \
    template <class T>                                                                             \
    result operator op(Box<T> a, Box<T> b) {                                                       \
        return result(static_cast<T>(a.v op b.v));                                                 \
    }                                                                                              \
    template <class T, Plain U>                                                                    \
    result operator op(Box<T> a, U b) {                                                            \
        return result(static_cast<T>(a.v op plain<T>(b)));                                         \
    }                                                                                              \
    template <class T, Plain U>                                                                    \
    result operator op(U a, Box<T> b) {                                                            \
        return result(static_cast<T>(plain<T>(a) op b.v));                                         \
    }
ENSO_BOX_OP(+, Box<T>)
ENSO_BOX_OP(-, Box<T>)
ENSO_BOX_OP(&, Box<T>)
ENSO_BOX_OP(|, Box<T>)
ENSO_BOX_OP(^, Box<T>)
ENSO_BOX_OP(<<, Box<T>)
ENSO_BOX_OP(>>, Box<T>)
#undef ENSO_BOX_OP

#define ENSO_BOX_CMP(op)                                                                           \
    template <class T>                                                                             \
    BoolBox operator op(Box<T> a, Box<T> b) {                                                      \
        return a.v op b.v;                                                                         \
    }                                                                                              \
    template <class T, Plain U>                                                                    \
    BoolBox operator op(Box<T> a, U b) {                                                           \
        return a.v op plain<T>(b);                                                                 \
    }                                                                                              \
    template <class T, Plain U>                                                                    \
    BoolBox operator op(U a, Box<T> b) {                                                           \
        return plain<T>(a) op b.v;                                                                 \
    }
ENSO_BOX_CMP(==)
ENSO_BOX_CMP(!=)
ENSO_BOX_CMP(<)
ENSO_BOX_CMP(<=)
ENSO_BOX_CMP(>)
ENSO_BOX_CMP(>=)
#undef ENSO_BOX_CMP

template <class T>
Box<T> operator~(Box<T> a) {
    return Box<T>(static_cast<T>(~a.v));
}

// Total, as z3 arrays are: an index out of range reads a default and writes
// nowhere (concretely it never happens; symbolically it may be explored).
template <class T>
class BoxArray {
public:
    template <class I>
    T get(Box<I> i) const {
        return i.v < v_.size() ? v_[i.v] : T{};
    }
    template <class I>
    void set(Box<I> i, T x) {
        if (i.v < v_.size()) {
            v_[i.v] = x;
        }
    }
    void resize(std::size_t n, T init) { v_.assign(n, init); }
    [[nodiscard]] std::size_t size() const { return v_.size(); }
    [[nodiscard]] auto raw(std::size_t i) const { return v_[i].v; }

private:
    std::vector<T> v_;
};

class BoxMemory {
public:
    using W = Box<std::uint32_t>;
    using Q = Box<std::uint64_t>;
    BoxMemory() = default;
    explicit BoxMemory(std::span<std::byte> bytes) : m_(bytes) {}
    [[nodiscard]] Q load64(W f, W w) const { return m_.load64(f.v, w.v); }
    void store64(W f, W w, Q x) const { m_.store64(f.v, w.v, x.v); }
    Q fetch_or64(W f, W w, Q x) const { return m_.fetch_or64(f.v, w.v, x.v); }
    Q fetch_and64(W f, W w, Q x) const { return m_.fetch_and64(f.v, w.v, x.v); }
    void clear_frame(W f) const { m_.clear_frame(f.v); }
    void copy(W dst, W doff, W src, W soff, W len) const {
        m_.copy(dst.v, doff.v, src.v, soff.v, len.v);
    }

private:
    ConcreteMemory m_;
};

struct Boxed {
    using Bool = BoolBox;
    using U8 = Box<std::uint8_t>;
    using U16 = Box<std::uint16_t>;
    using U32 = Box<std::uint32_t>;
    using U64 = Box<std::uint64_t>;
    template <class T>
    using Array = BoxArray<T>;
    using Memory = BoxMemory;
    template <class To, class From>
    static To cast(From x) {
        return To(plain<typename To::type>(x));
    }
    template <class T>
    static T select(BoolBox c, T a, T b) {
        return static_cast<bool>(c) ? a : b;
    }
    static constexpr bool kMutable = false;
    static constexpr bool mutation(Mutation /*m*/) { return false; }
};
static_assert(ValueDomain<Boxed>);
static_assert(!std::is_convertible_v<Boxed::U32, std::uint32_t>);
static_assert(!std::is_convertible_v<Boxed::Bool, bool>);

template <class A, class B>
bool same_array(const A& concrete, const B& boxed) {
    if (concrete.size() != boxed.size()) {
        return false;
    }
    for (std::size_t i = 0; i < concrete.size(); ++i) {
        if (concrete.get(i) != boxed.raw(i)) {
            return false;
        }
    }
    return true;
}

// Every field of the two states, by name, so a mismatch says where.
std::string first_difference(const CState& c, const State<Boxed>& b) {
#define ENSO_SAME(field)                                                                           \
    do {                                                                                           \
        if (!same_array(c.field, b.field)) {                                                       \
            return #field;                                                                         \
        }                                                                                          \
    } while (false)
    ENSO_SAME(frames.owner);
    ENSO_SAME(frames.count);
    ENSO_SAME(frames.type);
    ENSO_SAME(frames.type_count);
    ENSO_SAME(frames.flags);
    ENSO_SAME(doms.state);
    ENSO_SAME(doms.tot_pages);
    ENSO_SAME(doms.max_pages);
    ENSO_SAME(doms.baseptr);
    ENSO_SAME(doms.shared_info);
    ENSO_SAME(doms.gnttab_nr_frames);
    ENSO_SAME(doms.gnttab_frame);
    ENSO_SAME(doms.shutdown_code);
    ENSO_SAME(doms.effects);
    ENSO_SAME(doms.invlpg_va);
    ENSO_SAME(grants.act_readers);
    ENSO_SAME(grants.act_writers);
    ENSO_SAME(grants.act_frame);
    ENSO_SAME(grants.act_grantee);
    ENSO_SAME(grants.map_flags);
    ENSO_SAME(grants.map_granter);
    ENSO_SAME(grants.map_ref);
    ENSO_SAME(grants.map_host_addr);
    ENSO_SAME(evtchn.state);
    ENSO_SAME(evtchn.remote_dom);
    ENSO_SAME(evtchn.remote_port);
#undef ENSO_SAME
    return "";
}

// Runs one operation on a state of either domain. Choices (free frames,
// handles, ports) are made by the caller from the concrete state, so both
// sides get the same arguments.
// Kinds of operation, the numbers apply() switches on; kCreate is the last.
constexpr int kCreate = 19;

struct Op {
    int kind;
    std::uint16_t d;
    std::uint16_t other;
    std::uint32_t a;
    std::uint32_t b;
    std::uint64_t x;
    std::uint64_t y;
};

template <class V>
Rc apply(State<V>& s, const Op& op) {
    using U8 = typename V::U8;
    using U16 = typename V::U16;
    using U32 = typename V::U32;
    using U64 = typename V::U64;
    const U16 d(op.d);
    const U16 other(op.other);
    const U32 a(op.a);
    const U32 b(op.b);
    const U64 x(op.x);
    const U64 y(op.y);
    auto run = [&](auto&& handler) { return with_table_work<V>(s, handler); };
    switch (op.kind) {
    case 0:
        return reserve_frame<V>(s, d, a);
    case 1:
        return run([&] { return release_frame<V>(s, d, a); });
    case 2:
        return run([&] { return mmu_update_entry<V>(s, d, x, y); });
    case 3:
        return run([&] { return pin_table<V>(s, d, a, U8(op.b)); });
    case 4:
        return unpin_table<V>(s, d, a);
    case 5:
        return run([&] { return new_baseptr<V>(s, d, a); });
    case 6:
        return run([&] { return update_va_mapping<V>(s, d, x, y, UVMF_INVLPG); });
    case 7:
        return gnttab_add_frame<V>(s, d, a);
    case 8: {
        U64 bus{};
        return run([&] { return grant_map<V>(s, d, other, a, U32(op.y), x, b, bus); });
    }
    case 9:
        return grant_unmap<V>(s, d, a, U64(0), U64(0));
    case 10: {
        const CopySide<V> src{true, a, other, U32(0)};
        const CopySide<V> dst{false, b, U16(DOMID_SELF), U32(op.x & 2047U)};
        return run([&] { return grant_copy<V>(s, d, src, dst, U32(op.y & 4095U)); });
    }
    case 11:
        return evtchn_alloc_unbound<V>(s, d, U16(DOMID_SELF), other, a);
    case 12:
        return evtchn_bind_interdomain<V>(s, d, other, a, b);
    case 13:
        return evtchn_send<V>(s, d, a);
    case 14:
        return evtchn_close<V>(s, d, a);
    case 15:
        return evtchn_unmask<V>(s, d, a);
    case 16: {
        EvtchnStatus<V> st{};
        const Rc rc = evtchn_status<V>(s, d, other, a, st);
        return rc == kOk ? static_cast<Rc>(plain<std::uint8_t>(st.status)) : rc;
    }
    case 17:
        return d == 0 ? tlb_flush_local<V>(s, d) : invlpg_local<V>(s, d, x);
    case 18:
        return domain_destroy<V>(s, d);
    default:
        return domain_create<V>(s, d, U32(64), a);
    }
}

} // namespace

TEST_CASE("value domain: handlers instantiate over an opaque domain and agree with Concrete",
          "[value-domain]") {
    constexpr std::uint32_t kFrames = 96;
    constexpr std::uint16_t kDoms = 3;
    std::vector<std::byte> cmem(std::size_t{kFrames} * kPageSize);
    std::vector<std::byte> bmem(cmem.size());
    CState c;
    State<Boxed> b;
    init_state<Concrete>(c, kFrames);
    init_state<Boxed>(b, kFrames);
    c.mem = ConcreteMemory(cmem);
    b.mem = BoxMemory(bmem);

    std::mt19937_64 rng(GENERATE(1U, 2U, 3U));
    auto pick = [&](std::uint64_t lo, std::uint64_t hi) {
        return std::uniform_int_distribution<std::uint64_t>(lo, hi)(rng);
    };
    auto first_free = [&]() -> std::uint32_t {
        for (std::uint32_t f = 1; f < kFrames; ++f) {
            if (frame_free<Concrete>(c, f)) {
                return f;
            }
        }
        return kNoFrame;
    };
    auto some_frame = [&](std::uint16_t d) -> std::uint32_t {
        for (int tries = 0; tries < 8; ++tries) {
            const auto f = static_cast<std::uint32_t>(pick(1, kFrames - 1));
            if (owned_by<Concrete>(c, f, d)) {
                return f;
            }
        }
        return static_cast<std::uint32_t>(pick(0, kFrames + 2));
    };
    static constexpr std::uint64_t kFlags[] = {0, kPteP, kPteP | kPteRW | kPteUS, kPteP | kPtePSE,
                                               kPteP | kPteUS | kPteA};

    for (std::uint16_t d = 0; d <= kDoms; ++d) {
        const Op create{kCreate, d, 0, first_free(), 0, 0, 0};
        REQUIRE(apply<Concrete>(c, create) == kOk);
        REQUIRE(apply<Boxed>(b, create) == kOk);
    }
    std::uint64_t successes = 0;
    for (int step = 0; step < 3000; ++step) {
        Op op{};
        op.kind = static_cast<int>(pick(0, kCreate));
        op.d = static_cast<std::uint16_t>(pick(0, kDoms));
        op.other = static_cast<std::uint16_t>(pick(0, kDoms));
        op.a = some_frame(op.d);
        op.b = static_cast<std::uint32_t>(pick(0, 4));
        op.x = TestMachine::maddr(some_frame(op.d), static_cast<std::uint32_t>(pick(0, 3)));
        op.y = TestMachine::pte(some_frame(op.d), kFlags[pick(0, std::size(kFlags) - 1)]);
        switch (op.kind) {
        case 0:
        case 7:
            op.a = first_free();
            break;
        case 3:
            op.b = static_cast<std::uint32_t>(pick(1, 4));
            break;
        case 6:
            op.x = pick(0, 3) << kPageShift;
            break;
        case 8: // map: ref a of `other`, handle b, flags in y
            op.a = static_cast<std::uint32_t>(pick(0, 3));
            op.y = GNTMAP_host_map | (pick(0, 1) != 0 ? GNTMAP_readonly : 0) |
                   (op.d != 0 ? GNTMAP_contains_pte : 0);
            if (op.d == 0) {
                op.x = 0;
            }
            break;
        case 9:
        case 16:
        case 11:
        case 12:
        case 13:
        case 14:
        case 15:
            op.a = static_cast<std::uint32_t>(pick(0, 5));
            op.b = static_cast<std::uint32_t>(pick(1, 5));
            break;
        case 10:
            op.a = static_cast<std::uint32_t>(pick(0, 3));
            op.b = some_frame(op.d);
            break;
        default:
            break;
        }
        if (pick(0, 5) == 0 && c.doms.gnttab_nr_frames.get(op.d) != 0) {
            // The granter writes an entry, the same in both memories.
            const auto ref = static_cast<std::uint32_t>(pick(0, 3));
            const auto frame = grant_entry_frame<Concrete>(c, op.d, ref);
            const auto word = grant_entry_word<Concrete>(ref);
            if ((c.mem.load64(frame, word) & (GTF_reading | GTF_writing)) == 0) {
                const std::uint64_t e = (std::uint64_t{some_frame(op.d)} << 32) |
                                        (std::uint64_t{op.other} << 16) | GTF_permit_access;
                c.mem.store64(frame, word, e);
                b.mem.store64(frame, word, e);
            }
        }
        const Rc rc_c = apply<Concrete>(c, op);
        const Rc rc_b = apply<Boxed>(b, op);
        INFO("step " << step << " kind " << op.kind << " d" << op.d);
        REQUIRE(rc_c == rc_b);
        REQUIRE(first_difference(c, b).empty());
        REQUIRE(cmem == bmem);
        successes += rc_c == kOk ? 1 : 0;
    }
    REQUIRE_INVARIANTS_OF(c);
    CHECK(successes > 300);
}

} // namespace enso::test
