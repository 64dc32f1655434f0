#pragma once
// Secrets at rest: a 32-byte key read from (or created in) an owner-only key file, and sealing
// with XChaCha20-Poly1305 (libsodium) under it. One module for every secret SESami keeps: the
// credentials cached in Redis (--redis-key-file) and the secrets in the database
// (--secret-key-file: the unsubscribe HMAC key; webhook signing secrets when they come). Each use
// derives its own subkey, and each sealed value names what it is (associated data), so a value
// copied into another place does not open there.
#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include <boost/system/result.hpp>

namespace sesami::app {

using secret_key = std::array<unsigned char, 32>;
template <class T>
using key_result = boost::system::result<T, std::string>;

/// 32 bytes written as 64 hex digits or as base64 (surrounding whitespace ignored). `what` names
/// the key in errors ("the Redis key"); an error names the file, never its content.
key_result<secret_key> load_key_file(const std::filesystem::path& p, std::string_view what);

struct loaded_key {
  secret_key key{};
  bool created = false;  // generated now (first start)
};
/// Reads the key file, or creates it when missing: 32 random bytes as 64 hex digits, mode 0600,
/// written whole before it appears, never replacing a file another process made meanwhile.
key_result<loaded_key> load_or_create_key_file(const std::filesystem::path& p,
                                               std::string_view what);

/// A subkey for one purpose (libsodium's BLAKE2b KDF): `context` is 8 characters.
secret_key derive_key(const secret_key& master, std::uint64_t id, std::string_view context);
/// The subkey that seals secrets kept in the database, from the --secret-key-file key.
secret_key database_key(const secret_key& master);

class secret_box {
 public:
  /// Seals with `key` as given (derive a subkey per purpose first).
  explicit secret_box(const secret_key& key);
  ~secret_box();
  secret_box(const secret_box&) = default;
  secret_box& operator=(const secret_box&) = default;

  /// version (1) | nonce (24) | ciphertext + tag; `ad` (what the value is, where it lives) is
  /// authenticated with it.
  std::string seal(std::string_view plain, std::string_view ad) const;
  /// The plaintext, or nothing when the value was tampered with, sealed under another key or
  /// for another `ad`.
  std::optional<std::string> open(std::string_view sealed, std::string_view ad) const;

  /// The text form for database columns: "sealed1:" + base64url(seal(...)).
  std::string seal_text(std::string_view plain, std::string_view ad) const;
  std::optional<std::string> open_text(std::string_view text, std::string_view ad) const;
  /// Whether a column holds a sealed value (older versions stored plaintext).
  static bool is_sealed_text(std::string_view text) noexcept;

 private:
  secret_key key_{};
};

}  // namespace sesami::app
