#pragma once
// Persistence of who may do what: users, their workspace memberships and roles, API keys, login
// sessions, per-workspace ingestion tokens, the AWS accounts a workspace connected and pending
// invitations. Only hashes of secrets reach this layer (the app's auth use case hashes them); the
// tables are migrations 4, 13 and 15 in sqlite/migrations.hpp. Thread-safe.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store.hpp"

namespace sesami::store {

struct user_row {
  std::string id;
  std::string email;          // lower-cased
  std::string password_hash;  // argon2id string
  std::int64_t created_at = 0;
  bool must_change_password = false;  // a one-time password: only setting a new one is allowed
};
struct membership_row {
  std::string workspace;
  std::string user_id;
  std::string role;  // owner, admin, viewer
};
struct api_key_row {
  std::string hash;  // 32 raw bytes: SHA-256 of the key
  std::string id;    // public handle
  std::string workspace;
  std::string role;
  std::string name;
  std::int64_t created_at = 0;
  std::string scope = "admin";  // send, read, admin: narrows the role (app::key_scope)
  std::string access_key_id;    // SigV4 credential id ("SESAMI..."); empty: no pair (older key)
  std::string secret_sealed;    // the SigV4 secret access key, sealed (app::secret_box)
  std::int64_t expires_at = 0;  // 0: never
  std::int64_t last_used_at = 0;
  std::int64_t revoked_at = 0;  // 0: active; a revoked key stays listed and is refused
};
struct session_row {
  std::string hash;  // 32 raw bytes: SHA-256 of the cookie value
  std::string user_id;
  std::string csrf;
  std::int64_t created_at = 0;
  std::int64_t expires_at = 0;
  bool must_change_password = false;  // read only: the user's flag (users.must_change_password)
};
/// An invitation to join a workspace, pending until the invited email's account accepts it (signed
/// in) or redeems its one-time token; see app::auth::invite.
struct invitation_row {
  std::string id;          // public handle ("inv_..."), shown in lists
  std::string token_hash;  // 32 raw bytes: SHA-256 of the one-time token
  std::string workspace;
  std::string email;  // lower-cased
  std::string role;
  std::string invited_by;  // the user or API key id that invited
  std::int64_t created_at = 0;
  std::int64_t expires_at = 0;
};
/// What an atomic change of a membership came to (accounts::change_member).
enum class member_change { done, not_member, changed_meanwhile, last_owner };
/// The rule change_member applies inside its transaction, once for every backend: the member must
/// exist with the role the caller saw, and the last owner of a workspace stays an owner.
inline member_change decide_member_change(bool found, std::string_view current,
                                          std::string_view expected, std::string_view next,
                                          int owners) noexcept {
  if (!found) return member_change::not_member;
  if (current != expected) return member_change::changed_meanwhile;
  if (current == "owner" && next != "owner" && owners <= 1) return member_change::last_owner;
  return member_change::done;
}
struct ingest_row {
  std::string workspace;
  std::string token_hash;   // SHA-256 of the URL token
  std::string secret_hash;  // SHA-256 of the EventBridge API-key secret
  std::int64_t rotated_at = 0;
  std::string token_sealed;   // the token sealed with the server key; "" when unknown (older row)
  std::string secret_sealed;  // likewise the secret
  /// Read only: the token and secret the last rotation replaced (set_ingest keeps them); empty
  /// when none. The app decides how long they stay good (a grace after rotated_at).
  std::string previous_token_hash;
  std::string previous_secret_hash;
};

class accounts {
 public:
  virtual ~accounts() = default;
  virtual result<std::int64_t> user_count() = 0;
  /// Fails with bad_input when the email is taken.
  virtual status create_user(const user_row& u) = 0;
  virtual result<std::optional<user_row>> user_by_email(std::string_view email) = 0;
  virtual result<std::optional<user_row>> user_by_id(std::string_view id) = 0;
  /// A password the user chose: clears must_change_password.
  virtual status set_password(std::string_view user_id, std::string_view password_hash) = 0;
  /// A one-time password set by the operator: sets must_change_password and ends every session of
  /// the user, in one transaction. False when no such user.
  virtual result<bool> reset_password(std::string_view user_id, std::string_view password_hash) = 0;
  /// Adds or changes a membership (the operator's `sesami user add`; the API never changes a
  /// membership this way).
  virtual status set_membership(const membership_row& m) = 0;
  /// Adds a membership; false, and nothing changed, when the user is a member already.
  virtual result<bool> add_membership(const membership_row& m) = 0;
  /// In one transaction: sets the role of `m.user_id` in `m.workspace` to `m.role` (or, with an
  /// empty `m.role`, removes the membership) if its role is still `expected` — and refuses
  /// (last_owner) when that would leave a workspace that has owners without one.
  virtual result<member_change> change_member(const membership_row& m,
                                              std::string_view expected) = 0;
  /// A user's memberships, the first joined first (its default workspace).
  virtual result<std::vector<membership_row>> memberships_of_user(std::string_view user_id) = 0;
  virtual result<std::vector<membership_row>> members_of(std::string_view workspace) = 0;

  virtual status add_api_key(const api_key_row& k) = 0;
  virtual result<std::optional<api_key_row>> api_key_by_hash(std::string_view hash) = 0;
  virtual result<std::vector<api_key_row>> api_keys_of(std::string_view workspace) = 0;
  /// The key whose SigV4 access key id this is (revoked and expired ones included).
  virtual result<std::optional<api_key_row>> api_key_by_access_key(
      std::string_view access_key_id) = 0;
  /// Marks the key revoked at `now` (it stays listed); false when no such active key.
  virtual result<bool> revoke_api_key(std::string_view workspace, std::string_view id,
                                      std::int64_t now) = 0;
  /// Records a use of the key (never moves last_used_at backwards).
  virtual status touch_api_key(std::string_view id, std::int64_t at) = 0;

  virtual status add_session(const session_row& s) = 0;
  virtual result<std::optional<session_row>> session_by_hash(std::string_view hash) = 0;
  virtual status delete_session(std::string_view hash) = 0;
  virtual status delete_expired_sessions(std::int64_t now) = 0;
  /// Ends every session of `user_id` but the one whose hash is `keep_hash` (a password change).
  virtual status delete_other_sessions(std::string_view user_id, std::string_view keep_hash) = 0;

  /// Fails with bad_input when the workspace has a pending invitation for that email already.
  virtual status add_invitation(const invitation_row& i) = 0;
  virtual result<std::vector<invitation_row>> invitations_of(std::string_view workspace) = 0;
  virtual result<std::vector<invitation_row>> invitations_for(std::string_view email) = 0;
  virtual result<std::optional<invitation_row>> invitation_by_id(std::string_view id) = 0;
  virtual result<std::optional<invitation_row>> invitation_by_token(
      std::string_view token_hash) = 0;
  virtual result<bool> delete_invitation(std::string_view id) = 0;
  virtual status delete_expired_invitations(std::int64_t now) = 0;
  /// In one transaction: consumes invitation `id` and makes `user_id` a member with its role (an
  /// existing membership is kept as it is), creating `new_user` first when given. nullopt, and
  /// nothing changed, when the invitation is gone (used, declined, revoked).
  virtual result<std::optional<membership_row>> accept_invitation(std::string_view id,
                                                                  std::string_view user_id,
                                                                  const user_row* new_user) = 0;

  /// Sets (creates or rotates) a workspace's ingestion token and secret; a rotation keeps the
  /// replaced token and secret as previous_* in the same statement.
  virtual status set_ingest(const ingest_row& r) = 0;
  /// The row whose current or previous token has this hash.
  virtual result<std::optional<ingest_row>> ingest_by_token(std::string_view token_hash) = 0;
  virtual result<std::optional<ingest_row>> ingest_of(std::string_view workspace) = 0;

  virtual status add_aws_account(std::string_view workspace, std::string_view account_id) = 0;
  virtual result<std::vector<std::string>> aws_accounts(std::string_view workspace) = 0;
};

/// Opens the accounts tables of an SQLite database that open_sqlite() has already migrated.
result<std::unique_ptr<accounts>> open_sqlite_accounts(const std::string& path,
                                                       int busy_timeout_ms = 5000);

}  // namespace sesami::store
