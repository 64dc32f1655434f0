#include "credential_cache.hpp"

#include <sodium.h>

namespace sesami::redis {
namespace {
// Two subkeys of the configured key: one seals, one names entries (a key never serves two
// purposes). Entries written before the sealing moved to app/secret_box.hpp open unchanged.
constexpr std::string_view kdf_context = "sesamist";
}  // namespace

credential_cache::credential_cache(client& redis, const secret_key& key, log_fn log,
                                   std::function<std::chrono::system_clock::time_point()> now)
    : redis_(redis),
      box_(app::derive_key(key, 1, kdf_context)),
      name_key_(app::derive_key(key, 2, kdf_context)),
      log_(std::move(log)),
      now_(std::move(now)) {}

credential_cache::~credential_cache() { sodium_memzero(name_key_.data(), name_key_.size()); }

std::string credential_cache::redis_key(std::string_view cache_key) const {
  unsigned char h[32];
  crypto_generichash(h, sizeof h, reinterpret_cast<const unsigned char*>(cache_key.data()),
                     cache_key.size(), name_key_.data(), name_key_.size());
  return "sesami:sts:" + hex(std::string_view(reinterpret_cast<const char*>(h), sizeof h));
}

std::optional<aws::assumed_role> credential_cache::get(const std::string& key) {
  const auto name = redis_key(key);
  auto r = redis_.command({"GET", name});
  if (!r) {
    if (r.error().transport) return local_.get(key);
    return std::nullopt;  // e.g. WRONGTYPE: not ours, a miss
  }
  if (r->is_nil()) return std::nullopt;
  auto plain = box_.open(r->str, name);
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
  const std::string sealed = box_.seal(plain, name);
  sodium_memzero(plain.data(), plain.size());
  (void)redis_.command({"SET", name, sealed, "PX", std::to_string(ttl.count())});
}

void credential_cache::erase(const std::string& key) {
  local_.erase(key);
  (void)redis_.command({"DEL", redis_key(key)});
}

}  // namespace sesami::redis
