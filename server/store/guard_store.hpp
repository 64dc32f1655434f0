#pragma once
// Persistence of the reputation guard and the alerts (issue #18): a workspace's guard settings and
// state (paused or not, the evidence an admin resumed on), the soft bounces per address, and the
// workspace's alerts. Backend-neutral like store.hpp (SQLite: sqlite/guard.cpp, migration 18;
// PostgreSQL: postgres/guard.cpp, migration 12). The state lives here, not in a process: with
// several nodes every node sees the same pause. Every query names its workspace, except the alert
// mailer's claim, which picks work across workspaces. Thread-safe.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <sesami/aggregate.hpp>

#include "store.hpp"

namespace sesami::store {

/// A workspace's guard settings; the defaults are SES's own levels (a workspace may only lower
/// them: the app checks).
struct reputation_settings {
  std::uint64_t bounce_warning_ppm = sesami::bounce_warning_ppm;
  std::uint64_t bounce_pause_ppm = sesami::bounce_review_ppm;
  std::uint64_t complaint_warning_ppm = sesami::complaint_warning_ppm;
  std::uint64_t complaint_pause_ppm = sesami::complaint_review_ppm;
  std::int64_t min_sends = 100;        // fewer sends in a window: the window is not judged
  bool pause_single = false;           // the pause stops single sends too (POST /mail, SendEmail)
  std::int64_t soft_bounce_limit = 3;  // soft bounces on different messages ...
  std::int64_t soft_bounce_days = 14;  // ... within this many days: suppressed
  std::string alert_from;              // From of alert mails; empty: the app's default
  friend bool operator==(const reputation_settings&, const reputation_settings&) = default;
};

/// The guard's memory of a workspace. `version` counts saves (compare and swap between nodes).
struct reputation_state {
  bool paused = false;
  std::int64_t paused_at = 0;
  std::string reason;              // why it paused (kept after a resume, for the record)
  std::string window;              // "24h" | "7d": the window that crossed the level
  std::int64_t warning_since = 0;  // 0: not at the warning level
  std::int64_t resumed_at = 0;
  std::string resumed_by;
  /// What the rates were when an admin resumed, per window: {"24h":{"bounce":ppm,"complaint":
  /// ppm}, ...} — the guard pauses again only on worse rates or a window that is new since.
  std::string evidence;
  std::int64_t version = 0;
};

struct alert_row {
  std::string id;  // "alr_" + random
  std::string workspace;
  std::string kind;        // "reputation_warning", "reputation_paused", "webhook_disabled", ...
  std::string summary;     // what happened, one line
  std::string detail;      // the numbers, the evidence
  std::string action;      // what to do
  std::string dedupe_key;  // one open alert per key
  std::int64_t since = 0;  // when the condition began
  std::int64_t created_at = 0, read_at = 0, resolved_at = 0;
  std::int64_t mailed_at = 0;  // 0: not mailed yet, -1: being mailed, else when
  std::string mail_result;     // the attempt ids, or why no mail went out
};

struct alert_query {
  std::size_t limit = 50;
  bool unread_only = false;
};

class guard_store {
 public:
  virtual ~guard_store() = default;

  /// The workspace's settings; the defaults when it never changed them.
  virtual result<reputation_settings> settings(std::string_view workspace) = 0;
  virtual status put_settings(std::string_view workspace, const reputation_settings& s) = 0;

  /// The workspace's state; a fresh one (version 0) when there is none yet.
  virtual result<reputation_state> state(std::string_view workspace) = 0;
  /// Saves `s` when the stored version still is `s.version` (0: none stored); the saved row
  /// carries version + 1. False when another node saved first (read again, decide again).
  virtual result<bool> save_state(std::string_view workspace, const reputation_state& s) = 0;
  /// Bulk jobs the guard held ("held") go back to the queue; returns how many.
  virtual result<std::int64_t> release_held_bulk(std::string_view workspace) = 0;

  /// Remembers a soft bounce of `address` on `message_id` at `at` (once per pair) and returns on
  /// how many different messages the address soft-bounced at or after `since`.
  virtual result<std::int64_t> add_soft_bounce(std::string_view workspace, std::string_view address,
                                               std::string_view message_id, std::int64_t at,
                                               std::int64_t since) = 0;

  /// Inserts the alert unless one with its dedupe key is open (not resolved): returns the new
  /// row, or nullopt when an open one exists (nothing changes).
  virtual result<std::optional<alert_row>> raise_alert(const alert_row& a) = 0;
  /// Resolves the open alert with this key; false when none was open.
  virtual result<bool> resolve_alert(std::string_view workspace, std::string_view dedupe_key,
                                     std::int64_t now) = 0;
  /// Newest first.
  virtual result<std::vector<alert_row>> list_alerts(std::string_view workspace,
                                                     const alert_query& q) = 0;
  virtual result<std::int64_t> unread_alerts(std::string_view workspace) = 0;
  /// Marks one alert read (id) or all (empty id); returns how many changed.
  virtual result<std::int64_t> mark_read(std::string_view workspace, std::string_view id,
                                         std::int64_t now) = 0;
  /// Claims up to `limit` alerts not mailed yet (mailed_at 0 → -1): each is mailed at most once.
  virtual result<std::vector<alert_row>> claim_alert_mail(std::size_t limit) = 0;
  virtual status finish_alert_mail(std::string_view id, std::int64_t at, std::string_view result,
                                   std::int64_t mails) = 0;
  /// Alert mails the workspace sent at or after `since` (left out of its reputation).
  virtual result<std::int64_t> alert_mails_since(std::string_view workspace,
                                                 std::int64_t since) = 0;
};

result<std::unique_ptr<guard_store>> open_sqlite_guard(const std::string& path,
                                                       int busy_timeout_ms = 5000);
result<std::unique_ptr<guard_store>> open_postgres_guard(const std::string& url);
/// Either, by the --db value.
result<std::unique_ptr<guard_store>> open_guard(const std::string& db);

}  // namespace sesami::store
