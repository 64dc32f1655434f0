// Ingestion tokens (auth.hpp): the token in a workspace's SNS and EventBridge URLs and the
// EventBridge secret. Looked up by SHA-256; also kept sealed with the server key so admins can
// read the URLs again; a rotation keeps the replaced pair working for a grace period.
#include "auth.hpp"
#include "import.hpp"  // now_ms

namespace sesami::app {
namespace {
// Associated data of the sealed copies: a value copied into another workspace's row does not open.
std::string token_ad(std::string_view ws) { return "sesami.ingest.token:" + std::string(ws); }
std::string secret_ad(std::string_view ws) { return "sesami.ingest.secret:" + std::string(ws); }
}  // namespace

outcome<void> auth::set_ingest(std::string_view workspace, const std::string& token,
                               const std::string& secret) {
  store::ingest_row row;
  row.workspace = std::string(workspace);
  row.token_hash = sha256(token);
  row.secret_hash = sha256(secret);
  row.rotated_at = now_ms();
  if (box_) {
    row.token_sealed = box_->seal_text(token, token_ad(workspace));
    row.secret_sealed = box_->seal_text(secret, secret_ad(workspace));
  }
  if (auto r = acc_.set_ingest(row); !r) return from_store(r.error());
  std::lock_guard lock(cache_mu_);
  // Cached entries of this workspace describe the pair before: read them again.
  std::erase_if(ingest_cache_, [&](const auto& kv) { return kv.second.workspace == workspace; });
  return {};
}

outcome<std::pair<std::string, std::string>> auth::rotate_ingest(std::string_view workspace) {
  auto token = random_token(), secret = random_token();
  if (auto r = set_ingest(workspace, token, secret); !r) return r.error();
  return std::pair{token, secret};
}

outcome<ingest_credentials> auth::ingest_credentials_of(std::string_view workspace) {
  auto row = acc_.ingest_of(workspace);
  if (!row) return from_store(row.error());
  std::optional<std::string> token, secret;
  if (*row && box_) {
    token = box_->open_text((*row)->token_sealed, token_ad(workspace));
    secret = box_->open_text((*row)->secret_sealed, secret_ad(workspace));
  }
  if (!token || !secret)
    return failure{"http.not_found",
                   "this workspace's ingestion token was stored before SESami kept it readable: "
                   "rotate it once (POST /workspace/ingest-token) to see it from then on"};
  ingest_credentials out{std::move(*token), std::move(*secret), (*row)->rotated_at, 0};
  if (!(*row)->previous_token_hash.empty() && (*row)->rotated_at + ingest_grace_ms_ > now_ms())
    out.previous_valid_until = (*row)->rotated_at + ingest_grace_ms_;
  return out;
}

outcome<ingest_target> auth::ingest_for_token(std::string_view token) {
  const auto h = sha256(token);
  const auto now = now_ms();
  {
    std::lock_guard lock(cache_mu_);
    if (auto it = ingest_cache_.find(h); it != ingest_cache_.end()) {
      if (it->second.valid_until == 0 || now < it->second.valid_until) return it->second;
      ingest_cache_.erase(it);  // a replaced token whose grace ended
    }
  }
  auto row = acc_.ingest_by_token(h);
  if (!row) return from_store(row.error());
  if (!*row) return failure{"ingest.bad_token", "unknown ingestion token"};
  ingest_target t{(*row)->workspace, (*row)->secret_hash, 0};
  if ((*row)->token_hash != h) {
    // The token the last rotation replaced: good, with its own secret, until the grace ends.
    t.secret_hash = (*row)->previous_secret_hash;
    t.valid_until = (*row)->rotated_at + ingest_grace_ms_;
    if (now >= t.valid_until) return failure{"ingest.bad_token", "unknown ingestion token"};
  }
  std::lock_guard lock(cache_mu_);
  if (ingest_cache_.size() > 10000) ingest_cache_.clear();
  ingest_cache_[h] = t;
  return t;
}

}  // namespace sesami::app
