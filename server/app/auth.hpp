#pragma once
// Who is calling, and what may they do. Workspaces (tenants), users with argon2id passwords and
// login sessions (cookie + CSRF token), API keys for programs, per-workspace ingestion tokens,
// roles owner > admin > viewer. Secrets are random (libsodium), shown once, and stored only as
// SHA-256 hashes; comparisons of secrets are constant-time. No sockets, no SQL.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <boost/system/result.hpp>

#include "../store/accounts.hpp"
#include "../store/store.hpp"
#include "login_throttle.hpp"
#include "password_gate.hpp"
#include "secret_box.hpp"

namespace sesami::app {

/// A failure with a stable code the HTTP layer maps to a status ("auth.forbidden" → 403).
struct failure {
  // Not an aggregate on purpose: outcome<std::string> must not take a lone string for a failure.
  failure() = default;
  failure(std::string c, std::string m) : code(std::move(c)), message(std::move(m)) {}
  std::string code;
  std::string message;
};
inline std::ostream& operator<<(std::ostream& os, const failure& f) {
  return os << f.code << ": " << f.message;
}
template <class T>
using outcome = boost::system::result<T, failure>;
inline failure from_store(const store::error& e) { return {std::string(e.id()), e.message}; }

/// The one rule for a login name, shared by the sign-in form, the API and the CLI: an email
/// address as HTML's <input type="email"> accepts it (WHATWG "valid email address": local part of
/// letters, digits and .!#$%&'*+/=?^_`{|}~-, then @, then dot-separated labels of letters, digits
/// and inner hyphens, at most 63 each; no dot needed, so admin@localhost is one), at most 254.
bool valid_email(std::string_view email) noexcept;

enum class role : std::uint8_t { viewer, admin, owner };  // ordered: a role includes those below
std::string_view to_string(role r) noexcept;
std::optional<role> parse_role(std::string_view s) noexcept;

/// What an API key may touch, within its role (issue #17): `send` the send routes (POST /mail,
/// POST /mail/bulk, the attempts, the SES API's sends), `read` the GET routes, `admin` all its
/// role allows. People signed in are `admin`. The rule itself is http::scope_allows.
enum class key_scope : std::uint8_t { send, read, admin };
std::string_view to_string(key_scope s) noexcept;
std::optional<key_scope> parse_scope(std::string_view s) noexcept;

/// The authenticated caller, scoped to one workspace.
struct principal {
  std::string workspace;
  role access = role::viewer;
  key_scope scope = key_scope::admin;
  std::string user_id;  // empty for API keys
  std::string key_id;   // empty for users
  bool via_cookie = false;
  std::string csrf;  // the session's CSRF token (cookie callers only)
  /// Signed in with a one-time password: only setting a password, the session and sign-out allowed.
  bool must_change_password = false;
  bool allows(role need) const noexcept { return access >= need; }
};

struct new_workspace {
  std::string id;
  std::string name;
  std::string ingest_token;   // in the ingestion URLs; shown once
  std::string ingest_secret;  // the EventBridge API-key header value; shown once
  std::string api_key;        // owner rights; shown once
  std::string api_key_id;
  std::string access_key_id;      // the owner key's SigV4 pair (with a sealing key)
  std::string secret_access_key;  // shown once
};

/// What a new API key may do, and until when.
struct api_key_spec {
  role access = role::viewer;
  key_scope scope = key_scope::admin;
  std::string name;
  std::int64_t expires_at = 0;  // ms since the epoch; 0: never
};
/// A new key's secrets, each shown once: the bearer key and the SigV4 credential pair (empty
/// when this auth has no sealing key, e.g. a tool that cannot keep the secret).
struct new_api_key {
  std::string id;
  std::string key;
  std::string access_key_id;
  std::string secret_access_key;
};

/// The caller of a SigV4-signed request: the key's principal and the secret to check with.
struct sigv4_caller {
  principal who;
  std::string secret_access_key;
};

struct login_result {
  std::string session;  // cookie value; shown once
  std::string csrf;
  std::string user_id;
  std::string email;
  std::vector<store::membership_row> workspaces;
  bool must_change_password = false;
};

/// An invitation as its workspace sees it, with its one-time token when just created.
struct invitation {
  store::invitation_row row;
  std::string token;  // shown once, to the inviter
};
/// A pending invitation as the invited account sees it.
struct invitation_for_user {
  store::invitation_row row;
  std::string workspace_name;
};

struct ingest_target {
  std::string workspace;
  std::string secret_hash;
  std::int64_t valid_until = 0;  // 0: the current token; else the replaced one's end of grace
};

/// A workspace's ingestion token and secret as an admin sees them again (auth_ingest.cpp).
struct ingest_credentials {
  std::string token;
  std::string secret;
  std::int64_t rotated_at = 0;
  std::int64_t previous_valid_until = 0;  // the replaced token works until then; 0: none
};

class auth {
 public:
  /// `box` seals the API keys' SigV4 secrets (the --secret-key-file database key); without it,
  /// new keys get no credential pair and SigV4 callers are refused.
  auth(store::store& s, store::accounts& a, const secret_box* box = nullptr);

  // ---- primitives ----
  static std::string random_token(std::size_t bytes = 32);  // base64url, no padding
  static std::string sha256(std::string_view s);            // 32 raw bytes
  static bool equal_secret(std::string_view a, std::string_view b) noexcept;  // constant-time
  static outcome<std::string> hash_password(std::string_view password);
  static bool check_password(std::string_view hash, std::string_view password);

  // ---- workspaces ----
  /// Creates a workspace (id: the name as a slug), its ingestion token and secret, and an owner
  /// API key. Fails with "conflict" when the id exists.
  outcome<new_workspace> create_workspace(std::string_view name);
  /// New ingestion token and secret; the old ones keep working for the grace (set_ingest_grace,
  /// default 24 h) so SNS subscriptions and API destinations can move, then stop.
  outcome<std::pair<std::string, std::string>> rotate_ingest(std::string_view workspace);
  /// The current token and secret, opened from their sealed copies: "http.not_found" when the
  /// workspace has none readable (written before they were sealed, or without the server key).
  outcome<ingest_credentials> ingest_credentials_of(std::string_view workspace);
  /// The server key's box (as the constructor's `box`): it also seals ingestion tokens; without
  /// it they are only hashed.
  void set_secret_box(const secret_box* box) noexcept { box_ = box; }
  void set_ingest_grace(std::int64_t ms) noexcept { ingest_grace_ms_ = ms; }
  outcome<void> connect_aws_account(std::string_view workspace, std::string_view account_id);
  outcome<bool> aws_account_connected(std::string_view workspace, std::string_view account_id);
  outcome<std::vector<std::string>> aws_accounts(std::string_view workspace);

  // ---- users ----
  /// Returns the user id. `one_time`: the password was made for the user (printed once), so the
  /// first sign-in must set a new one. An existing user only joins the workspace.
  outcome<std::string> add_user(std::string_view email, std::string_view password,
                                std::string_view workspace, role r, bool one_time = false);
  /// On a database without users: creates workspace `workspace` (if needed) and an owner
  /// `email` with a random one-time password, returned once. nullopt when users exist.
  outcome<std::optional<std::string>> bootstrap_owner(std::string_view workspace,
                                                      std::string_view email);
  /// Checks the current password (throttled like a sign-in), sets the new one and ends every
  /// other session of the user: only `keep_session` (the caller's) stays signed in.
  outcome<void> change_password(std::string_view user_id, std::string_view old_password,
                                std::string_view new_password, std::string_view keep_session,
                                std::string_view remote);

  /// The operator's reset (`sesami user reset-password`): a new random one-time password,
  /// returned once; every session of the user ends. "store.not_found" for an unknown email.
  outcome<std::string> reset_password(std::string_view email);

  // ---- members and invitations (docs/security.md, section 3) ----
  /// Invites `email` to `by.workspace` with role `r`: the same answer whether or not the email has
  /// an account (nothing is hashed, no account is read into the answer). "users.member" when the
  /// email's account is a member already, "users.invited" when an invitation is pending.
  outcome<invitation> invite(const principal& by, std::string_view email, role r);
  /// Changes a member's role under the rules: only an owner grants or revokes owner, and the last
  /// owner stays one. "users.not_found", "auth.forbidden", "users.last_owner", "users.changed".
  outcome<role> change_role(const principal& by, std::string_view user_id, role r);
  /// Removes a member (the same rules as change_role) or revokes a pending invitation ("inv_" id).
  outcome<void> remove_member(const principal& by, std::string_view id);
  /// The signed-in user's pending invitations (not expired).
  outcome<std::vector<invitation_for_user>> invitations_for(std::string_view user_id);
  /// The signed-in user accepts (or declines) one of its invitations; "invite.not_found" for an
  /// invitation that is not the user's, used, revoked or expired.
  outcome<store::membership_row> accept_invitation(std::string_view user_id, std::string_view id);
  outcome<void> decline_invitation(std::string_view user_id, std::string_view id);
  /// The invitation's one-time token and a password: for an email without an account, creates it
  /// with that password; for an existing account, the password must be that account's (checked
  /// and throttled like a sign-in; it is never changed). Either way the invitation becomes a
  /// membership and the caller is signed in.
  outcome<login_result> redeem_invitation(std::string_view token, std::string_view password,
                                          std::string_view remote);

  // ---- login ----
  /// Throttled per email and per remote address: after 5 failures in 15 minutes, "auth.throttled"
  /// until the window passes (the answer does not say whether the password was right). The
  /// attempt is reserved before the password is hashed, and at most `max_concurrent_hashes`
  /// hashes run at once: beyond them "auth.busy" at once.
  outcome<login_result> login(std::string_view email, std::string_view password,
                              std::string_view remote);
  void logout(std::string_view session);
  /// A session for a user whose identity was proven elsewhere (OpenID Connect: oidc_sign_in.hpp).
  outcome<login_result> open_session(const store::user_row& u) { return start_session(u); }

  // ---- requests ----
  /// A bearer key's caller; revoked and expired keys are refused ("auth.unauthenticated").
  outcome<principal> from_api_key(std::string_view key);
  /// The caller behind a SigV4 access key id, with its secret opened; "auth.unauthenticated"
  /// for an unknown, revoked or expired key or one without a pair.
  outcome<sigv4_caller> from_access_key(std::string_view access_key_id);
  /// A session cookie's caller in `workspace` (empty: the user's only or first workspace). A
  /// workspace the user does not belong to answers not_found, like one that does not exist.
  outcome<principal> from_session(std::string_view session, std::string_view workspace);
  outcome<std::vector<store::membership_row>> session_workspaces(std::string_view session);
  /// The signed-in user of a session cookie, in no particular workspace (a user invited
  /// somewhere may belong to none yet): its user id and CSRF token.
  outcome<store::session_row> session_user(std::string_view session);

  // ---- API keys ----
  outcome<new_api_key> create_api_key(std::string_view workspace, const api_key_spec& spec);
  outcome<std::vector<store::api_key_row>> api_keys(std::string_view workspace);
  /// Revokes the key: refused from now on (on other nodes within key_recheck_ms), still listed.
  outcome<bool> revoke_api_key(std::string_view workspace, std::string_view id);
  /// A cached key is read again after this long (a revocation made on another node), and its
  /// last use is written at most this often (not a write per request).
  static constexpr std::int64_t key_recheck_ms = 60 * 1000;

  // ---- ingestion ----
  outcome<ingest_target> ingest_for_token(std::string_view token);

  static constexpr std::int64_t session_lifetime_ms = 7LL * 24 * 3600 * 1000;
  static constexpr std::int64_t invitation_lifetime_ms = 7LL * 24 * 3600 * 1000;
  static constexpr int max_concurrent_hashes = 4;
  /// Password hashes computed or verified by this process so far.
  static std::uint64_t password_hashes() noexcept;
  /// Prometheus families: password hashes, sign-ins refused before hashing (by reason).
  void render_metrics(std::string& out) const;

 private:
  /// A reserved attempt and a hash slot, or the refusal to answer instead.
  struct password_attempt {
    login_throttle::ticket ticket;
    password_gate::slot slot;
  };
  outcome<password_attempt> begin_password_check(std::string_view email, std::string_view remote);
  outcome<login_result> start_session(const store::user_row& u);
  outcome<void> set_ingest(std::string_view workspace, const std::string& token,
                           const std::string& secret);
  /// A key row made principal, or the refusal (revoked, expired); records its use when due.
  struct cached_key {
    principal who;
    std::int64_t expires_at = 0;
    std::int64_t loaded_at = 0;
    std::int64_t touched_at = 0;
    std::string secret;  // SigV4 secret, opened (access-key cache only)
  };
  outcome<principal> admit(cached_key& k, std::int64_t now);
  static cached_key cache_entry(const store::api_key_row& row, std::int64_t now);

  store::store& store_;
  store::accounts& acc_;
  const secret_box* box_ = nullptr;
  std::int64_t ingest_grace_ms_ = 24LL * 3600 * 1000;

  // Hot lookups cached: every ingestion request resolves its token, every API call its key.
  std::mutex cache_mu_;
  std::map<std::string, ingest_target, std::less<>> ingest_cache_;  // token hash →
  std::map<std::string, cached_key, std::less<>> key_cache_;        // key hash →
  std::map<std::string, cached_key, std::less<>> access_cache_;     // access key id →
  std::map<std::string, std::vector<std::string>, std::less<>> aws_cache_;

  login_throttle throttle_;
  password_gate gate_{max_concurrent_hashes};
  std::atomic<std::uint64_t> throttled_{0};
};

}  // namespace sesami::app
