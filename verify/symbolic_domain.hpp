// The symbolic value domain: the core's handler templates instantiated over
// z3 expressions. Values are fixed-width bit-vectors (8/16/32/64 bits, as the
// core's types), comparisons are unsigned, a branch on a symbolic boolean is
// decided by the path explorer, arrays are z3 arrays (select/store) indexed
// by 32-bit bit-vectors, machine memory is an array of frames, each an array
// of 512 words.
#pragma once

#include "hvcore/core/value_domain.hpp"
#include "verify/mutation_switch.hpp"
#include "verify/path_explorer.hpp"

#include <concepts>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>
#include <z3++.h>

namespace enso::verify {

// The context every symbolic value of this thread lives in.
z3::context& sym_ctx();

// Gives this thread a fresh context until the scope ends (and frees it then),
// so that a proof's terms, and with them z3's search and work count, depend
// on that proof alone and not on what the thread proved before. Every term
// made in the scope must be gone when it ends.
class FreshContext {
public:
    FreshContext();
    ~FreshContext();
    FreshContext(const FreshContext&) = delete;
    FreshContext& operator=(const FreshContext&) = delete;

private:
    z3::context* outer_;
    std::unique_ptr<z3::context> mine_;
};

template <class U>
concept Plain = std::integral<U> || std::is_enum_v<U>;

class SymBool {
public:
    SymBool(bool b) : e_(sym_ctx().bool_val(b)) {} // NOLINT: constants
    explicit SymBool(z3::expr e) : e_(std::move(e)) {}
    explicit operator bool() const { return Explorer::current().decide(e_); }
    [[nodiscard]] const z3::expr& expr() const { return e_; }

    friend SymBool operator!(const SymBool& a) { return SymBool(!a.e_); }
    friend SymBool operator&&(const SymBool& a, const SymBool& b) { return SymBool(a.e_ && b.e_); }
    friend SymBool operator||(const SymBool& a, const SymBool& b) { return SymBool(a.e_ || b.e_); }

private:
    z3::expr e_;
};

template <unsigned N>
class SymBV {
public:
    static constexpr unsigned kBits = N;
    SymBV() : e_(sym_ctx().bv_val(0, N)) {}
    template <Plain U>
    SymBV(U x) : e_(sym_ctx().bv_val(static_cast<std::uint64_t>(x), N)) {} // NOLINT: constants
    explicit SymBV(z3::expr e) : e_(std::move(e)) {}
    [[nodiscard]] const z3::expr& expr() const { return e_; }

private:
    z3::expr e_;
};

// Binary operators on two values of one width, or a value and a constant;
// EXPR combines the z3 expressions x and y.
#define ENSO_SYM_OP(op, Result, EXPR)                                                              \
    template <unsigned N>                                                                          \
    Result operator op(const SymBV<N>& a, const SymBV<N>& b) {                                     \
        const z3::expr& x = a.expr();                                                              \
        const z3::expr& y = b.expr();                                                              \
        return Result(EXPR);                                                                       \
    }                                                                                              \
    template <unsigned N, Plain U>                                                                 \
    Result operator op(const SymBV<N>& a, U b) {                                                   \
        return a op SymBV<N>(b);                                                                   \
    }                                                                                              \
    template <unsigned N, Plain U>                                                                 \
    Result operator op(U a, const SymBV<N>& b) {                                                   \
        return SymBV<N>(a) op b;                                                                   \
    }
ENSO_SYM_OP(+, SymBV<N>, x + y)
ENSO_SYM_OP(-, SymBV<N>, x - y)
ENSO_SYM_OP(&, SymBV<N>, x& y)
ENSO_SYM_OP(|, SymBV<N>, x | y)
ENSO_SYM_OP(^, SymBV<N>, x ^ y)
ENSO_SYM_OP(<<, SymBV<N>, z3::shl(x, y))
ENSO_SYM_OP(>>, SymBV<N>, z3::lshr(x, y))
ENSO_SYM_OP(==, SymBool, x == y)
ENSO_SYM_OP(!=, SymBool, x != y)
ENSO_SYM_OP(<, SymBool, z3::ult(x, y))
ENSO_SYM_OP(<=, SymBool, z3::ule(x, y))
ENSO_SYM_OP(>, SymBool, z3::ugt(x, y))
ENSO_SYM_OP(>=, SymBool, z3::uge(x, y))
#undef ENSO_SYM_OP

template <unsigned N>
SymBV<N> operator~(const SymBV<N>& a) {
    return SymBV<N>(~a.expr());
}

// Resizes a bit-vector expression: truncation or zero extension.
z3::expr resize(const z3::expr& e, unsigned bits);

// Arrays are indexed by 32-bit vectors whatever the width of the index value.
inline constexpr unsigned kIndexBits = 32;

template <class T>
class SymArray {
public:
    SymArray() : a_(sym_ctx().bool_val(false)) {}
    // A fresh, unconstrained array named `name`.
    explicit SymArray(const std::string& name)
        : a_(sym_ctx().constant(name.c_str(), sym_ctx().array_sort(sym_ctx().bv_sort(kIndexBits),
                                                                   sym_ctx().bv_sort(T::kBits)))) {}
    template <unsigned M>
    T get(const SymBV<M>& i) const {
        return T(z3::select(a_, resize(i.expr(), kIndexBits)));
    }
    template <Plain I>
    T get(I i) const {
        return get(SymBV<kIndexBits>(i));
    }
    template <unsigned M>
    void set(const SymBV<M>& i, const T& v) {
        a_ = z3::store(a_, resize(i.expr(), kIndexBits), v.expr());
    }
    template <Plain I>
    void set(I i, const T& v) {
        set(SymBV<kIndexBits>(i), v);
    }
    [[nodiscard]] const z3::expr& expr() const { return a_; }

private:
    z3::expr a_;
};

// Machine memory: frame (32 bits) -> word (9 bits) -> 64-bit value.
//
// A read is an if-then-else chain over the handler's writes, newest first,
// down to the untouched memory (one select per word): the words a path did
// not write are unchanged by construction, and the solver never sees a
// store into a nested array. With stores (and a constant array for a
// cleared frame) every entry invariant made z3 reason about array
// extensionality, and a path took seconds. `expr()` still records the
// writes as a store chain: that is how the prover learns what a path wrote.
class SymMemory {
public:
    using W = SymBV<32>;
    using Q = SymBV<64>;
    SymMemory();
    explicit SymMemory(const std::string& name);

    [[nodiscard]] Q load64(const W& f, const W& w) const;
    void store64(const W& f, const W& w, const Q& v);
    Q fetch_or64(const W& f, const W& w, const Q& v);
    Q fetch_and64(const W& f, const W& w, const Q& v);
    void clear_frame(const W& f);
    // The copied bytes are not modelled: the destination frame becomes
    // unconstrained (sound for the invariants, which never read the
    // contents of a writable frame), and so does the next frame where
    // dst_off + len runs past the frame's end, as it would in memory.
    void copy(const W& dst, const W& dst_off, const W& src, const W& src_off, const W& len);
    // The writes as a store chain over the initial memory (bookkeeping).
    [[nodiscard]] const z3::expr& expr() const { return m_; }
    // The word at (f, w) as an expression, for invariants.
    [[nodiscard]] z3::expr word(const z3::expr& f32, const z3::expr& w9) const;

private:
    // One write: a word, or a whole frame (cleared: no contents; copied
    // into: a fresh frame's contents).
    struct Write {
        z3::expr frame;
        std::optional<z3::expr> slot;
        std::optional<z3::expr> value;    // a word's new value
        std::optional<z3::expr> contents; // a copied frame's (fresh) contents
    };
    z3::expr base_;
    z3::expr m_;
    std::vector<Write> log_;
    unsigned havocs_ = 0;
};

struct Symbolic {
    using Bool = SymBool;
    using U8 = SymBV<8>;
    using U16 = SymBV<16>;
    using U32 = SymBV<32>;
    using U64 = SymBV<64>;
    template <class T>
    using Array = SymArray<T>;
    using Memory = SymMemory;

    // A constant condition (as the core's plain `true`) picks its side, so
    // an unconditional caller leaves no if-then-else in the state.
    template <class T>
    static T select(const SymBool& c, const T& a, const T& b) {
        if (c.expr().is_true()) {
            return a;
        }
        if (c.expr().is_false()) {
            return b;
        }
        return T(z3::ite(c.expr(), a.expr(), b.expr()));
    }
    // The seeded bug of the mutant being proved, if any (a plain bool: it
    // is no branch of the explorer's).
    static constexpr bool kMutable = true;
    static bool mutation(core::Mutation m) { return active_mutation() == m; }
    template <class To, class From>
    static To cast(const From& x) {
        if constexpr (Plain<From>) {
            return To(x);
        } else {
            return To(resize(x.expr(), To::kBits));
        }
    }
};

} // namespace enso::verify
