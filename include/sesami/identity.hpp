#pragma once
// The deterministic identity of a normalized event, used to drop duplicates (SNS delivers the same
// message more than once, and the same event can arrive through two carriers).
//
// Specification (docs/events.md, "Identity"), version 1:
//   key  = "sesami:v1" US messageId US type US recipient US timestamp [US link]
//          US is the byte 0x1F; type is the normalized type name ("delivery_delay");
//          recipient is "" when null; timestamp is the decimal milliseconds since the Unix epoch;
//          the link field is present for clicks only. For unknown events:
//          key = "sesami:v1" US "unknown" US raw document text.
//   hash = MurmurHash3_x64_128(key, seed 0), Austin Appleby's reference algorithm.
//   id   = the two 64-bit halves h1, h2 as 16 lowercase hex digits each, h1 first (32 chars).
// Only 64-bit integer arithmetic on fixed-width types: native and wasm32 give the same id.
#include <cstdint>
#include <string>
#include <string_view>

#include <sesami/event.hpp>

namespace sesami {

struct hash128 {
  std::uint64_t h1 = 0;
  std::uint64_t h2 = 0;
  friend constexpr bool operator==(const hash128&, const hash128&) = default;
};

namespace detail {
constexpr std::uint64_t rotl64(std::uint64_t x, int r) noexcept {
  return (x << r) | (x >> (64 - r));
}
constexpr std::uint64_t fmix64(std::uint64_t k) noexcept {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ULL;
  k ^= k >> 33;
  return k;
}
// Little-endian read, independent of the host's byte order.
constexpr std::uint64_t load_le64(std::string_view s, std::size_t i) noexcept {
  std::uint64_t v = 0;
  for (std::size_t b = 0; b < 8; ++b)
    v |= static_cast<std::uint64_t>(static_cast<unsigned char>(s[i + b])) << (8 * b);
  return v;
}
}  // namespace detail

/// MurmurHash3_x64_128 (public domain reference: smhasher/src/MurmurHash3.cpp).
constexpr hash128 murmur3_x64_128(std::string_view data, std::uint32_t seed = 0) noexcept {
  const std::size_t len = data.size();
  const std::size_t nblocks = len / 16;
  std::uint64_t h1 = seed, h2 = seed;
  constexpr std::uint64_t c1 = 0x87c37b91114253d5ULL;
  constexpr std::uint64_t c2 = 0x4cf5ad432745937fULL;
  for (std::size_t i = 0; i < nblocks; ++i) {
    std::uint64_t k1 = detail::load_le64(data, i * 16);
    std::uint64_t k2 = detail::load_le64(data, i * 16 + 8);
    k1 *= c1;
    k1 = detail::rotl64(k1, 31);
    k1 *= c2;
    h1 ^= k1;
    h1 = detail::rotl64(h1, 27);
    h1 += h2;
    h1 = h1 * 5 + 0x52dce729;
    k2 *= c2;
    k2 = detail::rotl64(k2, 33);
    k2 *= c1;
    h2 ^= k2;
    h2 = detail::rotl64(h2, 31);
    h2 += h1;
    h2 = h2 * 5 + 0x38495ab5;
  }
  const std::size_t tail = nblocks * 16;
  std::uint64_t k1 = 0, k2 = 0;
  auto byte = [&](std::size_t i) {
    return static_cast<std::uint64_t>(static_cast<unsigned char>(data[tail + i]));
  };
  switch (len & 15) {
    case 15:
      k2 ^= byte(14) << 48;
      [[fallthrough]];
    case 14:
      k2 ^= byte(13) << 40;
      [[fallthrough]];
    case 13:
      k2 ^= byte(12) << 32;
      [[fallthrough]];
    case 12:
      k2 ^= byte(11) << 24;
      [[fallthrough]];
    case 11:
      k2 ^= byte(10) << 16;
      [[fallthrough]];
    case 10:
      k2 ^= byte(9) << 8;
      [[fallthrough]];
    case 9:
      k2 ^= byte(8);
      k2 *= c2;
      k2 = detail::rotl64(k2, 33);
      k2 *= c1;
      h2 ^= k2;
      [[fallthrough]];
    case 8:
      k1 ^= byte(7) << 56;
      [[fallthrough]];
    case 7:
      k1 ^= byte(6) << 48;
      [[fallthrough]];
    case 6:
      k1 ^= byte(5) << 40;
      [[fallthrough]];
    case 5:
      k1 ^= byte(4) << 32;
      [[fallthrough]];
    case 4:
      k1 ^= byte(3) << 24;
      [[fallthrough]];
    case 3:
      k1 ^= byte(2) << 16;
      [[fallthrough]];
    case 2:
      k1 ^= byte(1) << 8;
      [[fallthrough]];
    case 1:
      k1 ^= byte(0);
      k1 *= c1;
      k1 = detail::rotl64(k1, 31);
      k1 *= c2;
      h1 ^= k1;
      break;
    default:
      break;
  }
  h1 ^= static_cast<std::uint64_t>(len);
  h2 ^= static_cast<std::uint64_t>(len);
  h1 += h2;
  h2 += h1;
  h1 = detail::fmix64(h1);
  h2 = detail::fmix64(h2);
  h1 += h2;
  h2 += h1;
  return {h1, h2};
}

/// 32 lowercase hex digits: h1 then h2, each most significant digit first.
inline std::string to_hex(const hash128& h) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out(32, '0');
  for (int i = 0; i < 16; ++i) {
    out[static_cast<std::size_t>(15 - i)] = digits[(h.h1 >> (4 * i)) & 15];
    out[static_cast<std::size_t>(31 - i)] = digits[(h.h2 >> (4 * i)) & 15];
  }
  return out;
}

/// The identity key of version 1 (see the header comment); exposed so tests and other
/// implementations can check it byte for byte.
inline std::string identity_key(const event& e) {
  constexpr char us = '\x1f';
  std::string key = "sesami:v1";
  key += us;
  if (e.type == event_type::unknown) {
    key += "unknown";
    key += us;
    key += e.raw;
    return key;
  }
  key += e.message_id;
  key += us;
  key += to_string(e.type);
  key += us;
  if (e.recipient) key += *e.recipient;
  key += us;
  key += std::to_string(e.timestamp);
  if (const auto* c = e.get<click_info>()) {
    key += us;
    key += c->link;
  }
  return key;
}

/// The event's identity: 32 lowercase hex characters.
inline std::string event_id(const event& e) { return to_hex(murmur3_x64_128(identity_key(e))); }

}  // namespace sesami
