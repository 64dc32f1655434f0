#pragma once
// Persistence of the sending side (issue #5): the server's unsubscribe-link secret, Idempotency-Key
// records, one row per send attempt, and the durable bulk-send queue. Backend-neutral like
// store.hpp (SQLite: sqlite/mail.cpp, tables in migration 8; PostgreSQL: postgres/mail.cpp,
// migration 3). Every query names its workspace, except the bulk worker's claim, which picks work
// across workspaces. Thread-safe.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store.hpp"

namespace sesami::store {

// ---- idempotency
// ---------------------------------------------------------------------------------
struct idempotency_record {
  std::string request_hash;  // SHA-256 (hex) of the request body
  bool done = false;         // false: the first request is still running (or died mid-send)
  std::string code;          // the answer's error code; empty when it succeeded
  std::string response;      // the answer's JSON body
  std::int64_t created_at = 0;
};

// ---- attempts
// ------------------------------------------------------------------------------------
struct mail_attempt {
  std::string id;  // "att_" + random
  std::string workspace;
  std::int64_t created_at = 0;
  std::string transport;  // "ses" | "simulator"
  std::string status;     // "queued" (recorded before the call) | "sent" | "failed" | "suppressed"
  std::string message_id;
  std::string error_code, error_message;
  std::vector<std::string> recipients;                          // every address sent to
  std::vector<std::pair<std::string, std::string>> suppressed;  // address, reason
  std::string correlation_id;
  std::string subject;
  std::string bulk_id;  // the bulk job it belongs to, else empty
};

struct attempt_query {
  std::size_t limit = 50;
  std::string cursor;          // opaque, from a previous page's next
  std::string correlation_id;  // empty: all
};
struct attempt_page {
  std::vector<mail_attempt> attempts;  // newest first
  std::optional<std::string> next;
};

// ---- bulk queue
// ----------------------------------------------------------------------------------
struct bulk_job {
  std::string id;
  std::string workspace;
  std::string status;   // "queued" | "running" | "done" | "failed"
  std::string request;  // the validated request as JSON (the app's format)
  std::int64_t total = 0, sent = 0, failed = 0, suppressed = 0;
  std::int64_t created_at = 0, updated_at = 0;
};

enum class batch_state : std::uint8_t {
  pending = 0,    // not sent yet
  in_flight = 1,  // recorded just before the transport call
  done = 2,       // the call returned (successfully or not); counters added to the job
};
struct bulk_batch {
  std::string job_id;
  std::int64_t index = 0;
  std::string destinations;  // JSON array of destinations (the app's format)
  batch_state state = batch_state::pending;
};

class mail_store {
 public:
  virtual ~mail_store() = default;

  /// The server secret for unsubscribe links: `candidate` is stored when there is none yet, and
  /// the stored one is returned (so every process of one database signs with the same key).
  virtual result<std::string> server_secret(std::string_view candidate) = 0;
  /// Replaces the stored secret with `replacement` when it still is `expected` (compare and
  /// swap: of several processes sealing the same old value, one wins and the others re-read).
  virtual result<bool> replace_server_secret(std::string_view expected,
                                             std::string_view replacement) = 0;

  /// Claims an Idempotency-Key: true when it was free (a new, not-done record now holds it);
  /// false when a record exists (read it with find_idempotency).
  virtual result<bool> claim_idempotency(std::string_view workspace, std::string_view key,
                                         std::string_view request_hash, std::int64_t now) = 0;
  virtual result<std::optional<idempotency_record>> find_idempotency(std::string_view workspace,
                                                                     std::string_view key) = 0;
  virtual status finish_idempotency(std::string_view workspace, std::string_view key,
                                    std::string_view code, std::string_view response) = 0;
  /// Frees a key whose request certainly sent nothing (so a retry may send).
  virtual status release_idempotency(std::string_view workspace, std::string_view key) = 0;

  virtual status add_attempt(const mail_attempt& a) = 0;
  /// Records the outcome: status, message id, error, recipients and suppressed as given.
  virtual status update_attempt(const mail_attempt& a) = 0;
  virtual result<attempt_page> list_attempts(std::string_view workspace,
                                             const attempt_query& q) = 0;

  /// Stores a job and its batches in one transaction.
  virtual status create_bulk(const bulk_job& job, const std::vector<std::string>& batches) = 0;
  virtual result<std::optional<bulk_job>> find_bulk(std::string_view workspace,
                                                    std::string_view id) = 0;
  /// Takes a job that is queued, or running with an expired lease (its worker died), for
  /// `owner` until `now + lease_ms`; marks it running.
  virtual result<std::optional<bulk_job>> claim_bulk(std::string_view owner, std::int64_t now,
                                                     std::int64_t lease_ms) = 0;
  /// Extends the lease; false when another owner holds the job now.
  virtual result<bool> renew_bulk(std::string_view id, std::string_view owner, std::int64_t now,
                                  std::int64_t lease_ms) = 0;
  /// The job's first batch that is not done (pending or in flight), in index order.
  virtual result<std::optional<bulk_batch>> next_batch(std::string_view job_id) = 0;
  /// pending → in_flight, committed before the transport call.
  virtual status begin_batch(std::string_view job_id, std::int64_t index, std::int64_t now) = 0;
  /// → done, adding the counts to the job and recording the destinations' attempts, in one
  /// transaction (so each destination has exactly one attempt whatever the crash point).
  virtual status finish_batch(std::string_view job_id, std::int64_t index, std::int64_t sent,
                              std::int64_t failed, std::int64_t suppressed,
                              const std::vector<mail_attempt>& attempts, std::int64_t now) = 0;
  virtual status finish_bulk(std::string_view job_id, std::string_view status,
                             std::int64_t now) = 0;
};

/// Opens the mail tables of an SQLite database that open_sqlite() has already migrated.
result<std::unique_ptr<mail_store>> open_sqlite_mail(const std::string& path,
                                                     int busy_timeout_ms = 5000);
/// The mail tables of a PostgreSQL database that open_postgres() has migrated.
result<std::unique_ptr<mail_store>> open_postgres_mail(const std::string& url);

}  // namespace sesami::store
