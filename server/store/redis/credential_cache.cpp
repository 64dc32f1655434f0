#include "credential_cache.hpp"

#include <cctype>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <sodium.h>

namespace sesami::redis {
namespace {
constexpr unsigned char format_version = 1;
constexpr char kdf_context[crypto_kdf_CONTEXTBYTES] = {'s', 'e', 's', 'a', 'm', 'i', 's', 't'};

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}
}  // namespace

boost::system::result<secret_key, std::string> load_key_file(const std::filesystem::path& p) {
  using R = boost::system::result<secret_key, std::string>;
  std::ifstream in(p, std::ios::binary);
  if (!in) return R(boost::system::in_place_error, p.string() + ": cannot read the Redis key file");
  std::ostringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  const auto t = trim(text);
  secret_key k{};
  std::size_t len = 0;
  if (t.size() == 64 &&
      sodium_hex2bin(k.data(), k.size(), t.data(), t.size(), nullptr, &len, nullptr) == 0 &&
      len == 32)
    return k;
  if (sodium_base642bin(k.data(), k.size(), t.data(), t.size(), nullptr, &len, nullptr,
                        sodium_base64_VARIANT_ORIGINAL) == 0 &&
      len == 32)
    return k;
  sodium_memzero(k.data(), k.size());
  return R(boost::system::in_place_error,
           p.string() +
               ": the Redis key must be 32 bytes written as 64 hex digits or base64 "
               "(e.g. `openssl rand -hex 32`)");
}

credential_cache::credential_cache(client& redis, const secret_key& key, log_fn log,
                                   std::function<std::chrono::system_clock::time_point()> now)
    : redis_(redis), log_(std::move(log)), now_(std::move(now)) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  // Two subkeys: one seals, one names entries (a key never serves two purposes).
  crypto_kdf_derive_from_key(enc_key_.data(), enc_key_.size(), 1, kdf_context, key.data());
  crypto_kdf_derive_from_key(name_key_.data(), name_key_.size(), 2, kdf_context, key.data());
}

credential_cache::~credential_cache() {
  sodium_memzero(enc_key_.data(), enc_key_.size());
  sodium_memzero(name_key_.data(), name_key_.size());
}

std::string credential_cache::redis_key(std::string_view cache_key) const {
  unsigned char h[32];
  crypto_generichash(h, sizeof h, reinterpret_cast<const unsigned char*>(cache_key.data()),
                     cache_key.size(), name_key_.data(), name_key_.size());
  return "sesami:sts:" + hex(std::string_view(reinterpret_cast<const char*>(h), sizeof h));
}

// version (1) | nonce (24) | ciphertext + tag; the Redis key name is the associated data.
std::string credential_cache::seal(const std::string& name, std::string_view plain) const {
  std::string out(1 + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + plain.size() +
                      crypto_aead_xchacha20poly1305_ietf_ABYTES,
                  '\0');
  auto* p = reinterpret_cast<unsigned char*>(out.data());
  p[0] = format_version;
  unsigned char* nonce = p + 1;
  randombytes_buf(nonce, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
  unsigned long long clen = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      nonce + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, &clen,
      reinterpret_cast<const unsigned char*>(plain.data()), plain.size(),
      reinterpret_cast<const unsigned char*>(name.data()), name.size(), nullptr, nonce,
      enc_key_.data());
  out.resize(1 + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + clen);
  return out;
}

std::optional<std::string> credential_cache::open(const std::string& name,
                                                  std::string_view sealed) const {
  constexpr std::size_t header = 1 + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
  if (sealed.size() < header + crypto_aead_xchacha20poly1305_ietf_ABYTES ||
      static_cast<unsigned char>(sealed[0]) != format_version)
    return std::nullopt;
  const auto* p = reinterpret_cast<const unsigned char*>(sealed.data());
  std::string plain(sealed.size() - header - crypto_aead_xchacha20poly1305_ietf_ABYTES, '\0');
  unsigned long long plen = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<unsigned char*>(plain.data()), &plen, nullptr, p + header,
          sealed.size() - header, reinterpret_cast<const unsigned char*>(name.data()), name.size(),
          p + 1, enc_key_.data()) != 0)
    return std::nullopt;
  plain.resize(plen);
  return plain;
}

std::optional<aws::assumed_role> credential_cache::get(const std::string& key) {
  const auto name = redis_key(key);
  auto r = redis_.command({"GET", name});
  if (!r) {
    if (r.error().transport) return local_.get(key);
    return std::nullopt;  // e.g. WRONGTYPE: not ours, a miss
  }
  if (r->is_nil()) return std::nullopt;
  auto plain = open(name, r->str);
  std::optional<aws::assumed_role> role;
  if (plain) {
    role = aws::deserialize(*plain);
    sodium_memzero(plain->data(), plain->size());
  }
  if (!role) {
    if (log_)
      log_(3,
           "redis credential cache: an entry did not decrypt (tampered, or another key); ignored",
           name);
    return std::nullopt;
  }
  return role;
}

void credential_cache::put(const std::string& key, const aws::assumed_role& value) {
  local_.put(key, value);
  if (!value.creds.expires) return;
  const auto now = now_ ? now_() : std::chrono::system_clock::now();
  const auto ttl =
      std::chrono::duration_cast<std::chrono::milliseconds>(*value.creds.expires - now);
  if (ttl.count() <= 0) return;
  const auto name = redis_key(key);
  std::string plain = aws::serialize(value);
  const std::string sealed = seal(name, plain);
  sodium_memzero(plain.data(), plain.size());
  (void)redis_.command({"SET", name, sealed, "PX", std::to_string(ttl.count())});
}

void credential_cache::erase(const std::string& key) {
  local_.erase(key);
  (void)redis_.command({"DEL", redis_key(key)});
}

}  // namespace sesami::redis
