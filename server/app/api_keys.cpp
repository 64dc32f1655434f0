// API keys for programs (issues #17 and #22): the bearer key, hashed; the SigV4 credential pair
// (an access key id, public, and a secret access key, sealed — a signature is checked with the
// secret itself, so a hash would not do); a scope, an expiry, the last use, revocation.
//
// Decisions worth knowing:
// - Revoking keeps the key listed (revoked_at) so the Settings page and an audit can still say
//   which program held it; it is refused at once on this node and, through the cache's recheck,
//   within key_recheck_ms on the others.
// - The last use is written at most once a key_recheck_ms per key and node: a program sending a
//   thousand mails a second costs one UPDATE a minute, not a thousand.
// - Keys made before the pair existed (migration 15) have none: their secrets were never kept,
//   so a pair could not be shown to anyone. SigV4 needs a new key (create one, revoke the old).
#include <sodium.h>

#include "auth.hpp"
#include "import.hpp"  // now_ms

namespace sesami::app {
namespace {
failure refused(std::string message) { return {"auth.unauthenticated", std::move(message)}; }

// What a sealed secret is and where it lives: a value copied onto another key does not open.
std::string secret_ad(std::string_view access_key_id) {
  return "api_key_secret:" + std::string(access_key_id);
}

// "SESAMI" + 14 characters of RFC 4648 base32 (A-Z, 2-7): 20 characters like AWS's "AKIA..."
// ids, 70 random bits.
std::string new_access_key_id() {
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  std::string out = "SESAMI";
  for (int i = 0; i < 14; ++i) out += alphabet[randombytes_uniform(32)];
  return out;
}

// 40 characters of base64 (30 random bytes), the length and alphabet of AWS secret keys.
std::string new_secret_access_key() {
  unsigned char raw[30];
  randombytes_buf(raw, sizeof raw);
  char out[sodium_base64_ENCODED_LEN(30, sodium_base64_VARIANT_ORIGINAL)];
  sodium_bin2base64(out, sizeof out, raw, sizeof raw, sodium_base64_VARIANT_ORIGINAL);
  return std::string(out, 40);
}
}  // namespace

std::string_view to_string(key_scope s) noexcept {
  switch (s) {
    case key_scope::send:
      return "send";
    case key_scope::read:
      return "read";
    case key_scope::admin:
      return "admin";
  }
  return "admin";
}
std::optional<key_scope> parse_scope(std::string_view s) noexcept {
  if (s == "send") return key_scope::send;
  if (s == "read") return key_scope::read;
  if (s == "admin") return key_scope::admin;
  return std::nullopt;
}

outcome<new_api_key> auth::create_api_key(std::string_view workspace, const api_key_spec& spec) {
  new_api_key out;
  out.key = "sk_" + random_token();
  out.id = "key_" + random_token(9);
  store::api_key_row row;
  row.hash = sha256(out.key);
  row.id = out.id;
  row.workspace = std::string(workspace);
  row.role = std::string(to_string(spec.access));
  row.name = spec.name;
  row.created_at = now_ms();
  row.scope = to_string(spec.scope);
  row.expires_at = spec.expires_at;
  if (box_) {
    out.access_key_id = new_access_key_id();
    out.secret_access_key = new_secret_access_key();
    row.access_key_id = out.access_key_id;
    row.secret_sealed = box_->seal_text(out.secret_access_key, secret_ad(out.access_key_id));
  }
  if (auto a = acc_.add_api_key(row); !a) return from_store(a.error());
  return out;
}

outcome<std::vector<store::api_key_row>> auth::api_keys(std::string_view workspace) {
  auto r = acc_.api_keys_of(workspace);
  if (!r) return from_store(r.error());
  for (auto& k : *r) k.secret_sealed.clear();  // never leaves this layer
  return *r;
}

outcome<bool> auth::revoke_api_key(std::string_view workspace, std::string_view id) {
  auto r = acc_.revoke_api_key(workspace, id, now_ms());
  if (!r) return from_store(r.error());
  std::lock_guard lock(cache_mu_);
  std::erase_if(key_cache_, [&](const auto& kv) { return kv.second.who.key_id == id; });
  std::erase_if(access_cache_, [&](const auto& kv) { return kv.second.who.key_id == id; });
  return *r;
}

auth::cached_key auth::cache_entry(const store::api_key_row& row, std::int64_t now) {
  cached_key k;
  k.who.workspace = row.workspace;
  k.who.access = parse_role(row.role).value_or(role::viewer);
  k.who.scope = parse_scope(row.scope).value_or(key_scope::read);  // unknown: the narrowest
  k.who.key_id = row.id;
  k.expires_at = row.expires_at;
  k.loaded_at = now;
  k.touched_at = row.last_used_at;
  return k;
}

// Called with cache_mu_ held.
outcome<principal> auth::admit(cached_key& k, std::int64_t now) {
  if (k.expires_at != 0 && k.expires_at <= now) return refused("this API key has expired");
  if (now - k.touched_at >= key_recheck_ms) {
    k.touched_at = now;
    (void)acc_.touch_api_key(k.who.key_id, now);  // best effort: a lost touch costs nothing
  }
  return k.who;
}

outcome<principal> auth::from_api_key(std::string_view key) {
  const auto h = sha256(key);
  const auto now = now_ms();
  {
    std::lock_guard lock(cache_mu_);
    if (auto it = key_cache_.find(h);
        it != key_cache_.end() && now - it->second.loaded_at < key_recheck_ms)
      return admit(it->second, now);
  }
  auto row = acc_.api_key_by_hash(h);
  if (!row) return from_store(row.error());
  if (!*row) return refused("unknown API key");
  std::lock_guard lock(cache_mu_);
  key_cache_.erase(h);
  if ((*row)->revoked_at != 0) return refused("this API key was revoked");
  if (key_cache_.size() > 10000) key_cache_.clear();
  auto& k = key_cache_[h] = cache_entry(**row, now);
  return admit(k, now);
}

outcome<sigv4_caller> auth::from_access_key(std::string_view access_key_id) {
  const auto now = now_ms();
  {
    std::lock_guard lock(cache_mu_);
    if (auto it = access_cache_.find(access_key_id);
        it != access_cache_.end() && now - it->second.loaded_at < key_recheck_ms) {
      auto p = admit(it->second, now);
      if (!p) return p.error();
      return sigv4_caller{*p, it->second.secret};
    }
  }
  if (!box_) return refused("SigV4 is not available: the server has no sealing key");
  auto row = acc_.api_key_by_access_key(access_key_id);
  if (!row) return from_store(row.error());
  if (!*row) return refused("unknown access key id");
  auto secret = box_->open_text((*row)->secret_sealed, secret_ad(access_key_id));
  if (!secret) return refused("this key's secret does not open with the server key");
  std::lock_guard lock(cache_mu_);
  access_cache_.erase(std::string(access_key_id));
  if ((*row)->revoked_at != 0) return refused("this API key was revoked");
  if (access_cache_.size() > 10000) access_cache_.clear();
  auto& k = access_cache_[std::string(access_key_id)] = cache_entry(**row, now);
  k.secret = std::move(*secret);
  auto p = admit(k, now);
  if (!p) return p.error();
  return sigv4_caller{*p, k.secret};
}

}  // namespace sesami::app
