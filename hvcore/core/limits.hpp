// Fixed sizes of the core's tables. Two-dimensional tables are indexed by
// (domain << bits) | index, so every dimension is a power of two: the same
// index arithmetic is cheap concretely and a bit-vector concat symbolically.
#pragma once

#include <cstdint>

namespace enso::core {

inline constexpr unsigned kDomainBits = 5;
inline constexpr std::uint32_t kMaxDomains = 1U << kDomainBits; // domid 0 .. 31

// 2-level event channels: Xen allows 4096 on x86-64; 1024 keeps tables small.
inline constexpr unsigned kPortBits = 10;
inline constexpr std::uint32_t kMaxPorts = 1U << kPortBits;

// Grant table v1: 512 eight-byte entries per frame, at most 4 frames a domain.
inline constexpr unsigned kGrantFrameBits = 2;
inline constexpr std::uint32_t kMaxGrantFrames = 1U << kGrantFrameBits;
inline constexpr unsigned kGrantRefsPerFrameBits = 9;
inline constexpr unsigned kGrantRefBits = kGrantFrameBits + kGrantRefsPerFrameBits;
inline constexpr std::uint32_t kMaxGrantRefs = 1U << kGrantRefBits;

// Maptrack handles a domain may hold (grants it has mapped from others).
inline constexpr unsigned kMaptrackBits = 10;
inline constexpr std::uint32_t kMaxMaptrack = 1U << kMaptrackBits;

inline constexpr std::uint32_t kNoFrame = 0xffffffffU;

} // namespace enso::core
