#pragma once
// The store interface: SESami's memory. Backend-neutral — the SQLite implementation
// (sqlite/sqlite_store.hpp) and a later PostgreSQL one satisfy the same contract, and the same
// test suite (tests/store) runs against every backend. No SQL leaks through this header.
//
// Policy (event identity, which bounces suppress) lives in the app layer (server/app/import.hpp):
// the store receives events already paired with their identity, their stored JSON document and
// their suppression reason, and makes them durable, exactly once, in one transaction.
//
// Thread safety: every member function may be called concurrently from any thread.
// ingest() batches concurrent callers into one transaction (group commit): each caller returns
// only after the transaction holding its events has committed (or failed).
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/system/result.hpp>
#include <boost/throw_exception.hpp>

#include <sesami/event.hpp>
#include <sesami/filter.hpp>
#include <sesami/rollup.hpp>

namespace sesami::store {

// ---- errors
// --------------------------------------------------------------------------------------
enum class errc {
  ok = 0,
  unavailable,     // busy, locked, I/O error, disk full: retry later (HTTP 503)
  read_only,       // the database file or its directory cannot be written
  schema_too_new,  // the database was written by a newer sesami: refuse rather than corrupt it
  corrupt,         // not a database, or a damaged one
  not_found,       // no such workspace / entry
  bad_input,       // a cursor that does not decode, a CSV line that does not parse, from > to ...
  internal,        // anything else the backend reports
};
constexpr std::string_view to_id(errc e) noexcept {
  constexpr std::string_view ids[] = {
      "store.ok",      "store.unavailable", "store.read_only", "store.schema_too_new",
      "store.corrupt", "store.not_found",   "store.bad_input", "store.internal"};
  return ids[static_cast<std::size_t>(e)];
}
struct error {
  errc code = errc::ok;
  std::string message;  // for a person: names the file, the line, the version
  std::string_view id() const noexcept { return to_id(code); }
  template <class Ch, class Tr>  // for logs and test reports: "store.read_only: ..."
  friend std::basic_ostream<Ch, Tr>& operator<<(std::basic_ostream<Ch, Tr>& os, const error& e) {
    return os << e.id() << ": " << e.message;
  }
};
template <class T>
using result = boost::system::result<T, error>;
using status = result<void>;

[[noreturn]] inline void throw_exception_from_error(const error& e,
                                                    const boost::source_location& loc) {
  boost::throw_exception(std::runtime_error(std::string(e.id()) + ": " + e.message), loc);
}

// ---- workspaces
// ----------------------------------------------------------------------------------
struct workspace {
  std::string id;  // the tenant key carried by every row
  std::string name;
  std::int64_t created_at = 0;  // ms since epoch
  int retention_days = 0;       // 0: keep raw events forever
};

// ---- writes
// --------------------------------------------------------------------------------------
/// One event ready to store. `id` is the core's event identity (32 hex chars); `doc` the event's
/// JSON (sesami::to_json) as it will be served back; `suppress` non-empty when categorize says the
/// recipient must be suppressed (hard bounce, complaint), holding the reason ("hard-bounce" ...).
struct ingest_item {
  const sesami::event* ev = nullptr;
  std::string id;
  std::string doc;
  std::string suppress;
};

struct ingest_options {
  /// Record the events' SNS MessageIds (sns_message_seen) in the same transaction. The webhook
  /// path wants this to drop SNS redeliveries before parsing; bulk file imports skip it (identity
  /// already makes them exactly-once, and the table would grow by one row per payload).
  bool remember_sns_message_ids = true;
  /// Durable when ingest() returns (the default, and what every acknowledgement relies on). A bulk
  /// import may pass false for its batches — a backend may then defer the flush to disk (SQLite:
  /// synchronous = NORMAL in WAL, which survives a process crash but not a power loss) — and must
  /// finish with a durable ingest (an empty one will do): that makes everything before it durable.
  bool durable = true;
};

struct ingest_summary {
  std::size_t received = 0;    // items handed in
  std::size_t stored = 0;      // newly inserted events
  std::size_t duplicates = 0;  // already present (same identity) or repeated within the call
  std::size_t expired = 0;     // older than the workspace's retention: not stored
  std::size_t suppressed = 0;  // addresses newly added to the suppression list
  ingest_summary& operator+=(const ingest_summary& o) noexcept {
    received += o.received, stored += o.stored, duplicates += o.duplicates;
    expired += o.expired, suppressed += o.suppressed;
    return *this;
  }
};

// ---- reads
// ---------------------------------------------------------------------------------------
/// Which events to list: the analytics filter (sesami::filter, from filter_from_query — the same
/// semantics as the dashboard's in-browser filtering), plus keyset paging.
/// The largest page list_events serves: a window of events for the dashboard's in-browser
/// aggregation (the columnar /events form); JSON callers are held to smaller pages by the API.
inline constexpr std::size_t max_event_page = 200'000;

struct event_query {
  sesami::filter filter;
  std::size_t limit = 50;  // capped at max_event_page
  std::string cursor;      // opaque, from a previous page's `next`
};

struct stored_event {
  std::int64_t seq = 0;  // the store's insertion sequence (rowid): stable, part of the cursor
  std::string id;        // event identity
  std::int64_t timestamp = 0;
  event_type type = event_type::unknown;
  std::string message_id;
  std::string recipient;  // empty when the event has none
  bool machine = false;
  std::string doc;  // the event as JSON (sesami::to_json), ready to serve
};

struct event_page {
  std::vector<stored_event> events;  // newest first (timestamp, then seq, descending)
  std::optional<std::string> next;   // cursor of the next page; nullopt on the last page
};

/// The status of one (message, recipient), maintained on write with delivery_status precedence.
struct recipient_status {
  std::string message_id;
  std::string recipient;
  delivery_status status = delivery_status::sent;
  std::int64_t first_seen = 0;  // earliest event timestamp
  std::int64_t last_seen = 0;   // latest event timestamp
};

/// A page of a recipient's or a message's history: up to `limit` of each of its two lists (the
/// statuses and the events), each going on from where the cursor says. A history can be as long
/// as the mail sent: it is read a page at a time, never whole.
inline constexpr std::size_t default_history_page = 100;
inline constexpr std::size_t max_history_page = 1000;

struct history_query {
  std::size_t limit = default_history_page;  // per list; capped at max_history_page
  std::string cursor;                        // opaque, from a previous page's `next`
};

struct recipient_history {
  std::string address;
  std::vector<recipient_status> messages;  // newest first (last_seen, then message id)
  std::vector<stored_event> events;        // newest first, every event still retained
  std::optional<std::string> suppressed;   // reason, when the address is on the suppression list
  std::optional<delivery_status> status;   // the highest-ranked over all the messages (every page)
  std::optional<std::string> next;         // cursor of the next page; nullopt on the last
};

struct message_history {
  std::string message_id;
  std::vector<recipient_status> recipients;  // by address
  std::vector<stored_event> events;          // oldest first: a message reads as a story
  std::optional<std::string> next;           // cursor of the next page; nullopt on the last
};

// ---- rollups
// -------------------------------------------------------------------------------------
/// Counters for one hour and one event type, maintained on write for newly stored events only;
/// clicks per link and bounces per domain over a range of hours. The core's types: the core
/// computes them (rollup.hpp), a store persists and reads them.
using sesami::domain_rollup;
using sesami::link_rollup;
using sesami::rollup_row;

// ---- suppression list
// ----------------------------------------------------------------------------
enum class suppression_source : std::uint8_t { event, manual, import, ses_sync };
constexpr std::string_view to_string(suppression_source s) noexcept {
  constexpr std::string_view names[] = {"event", "manual", "import", "ses-sync"};
  return names[static_cast<std::size_t>(s)];
}
constexpr std::optional<suppression_source> parse_suppression_source(std::string_view s) noexcept {
  for (std::uint8_t i = 0; i < 4; ++i)
    if (to_string(static_cast<suppression_source>(i)) == s)
      return static_cast<suppression_source>(i);
  return std::nullopt;
}

struct suppression_entry {
  std::string address;  // lower-cased
  std::string reason;   // "hard-bounce", "complaint", free text for manual entries
  suppression_source source = suppression_source::manual;
  std::string event_id;  // the event that caused it (source event), else empty
  std::int64_t created_at = 0;
};

struct suppression_query {
  std::string contains;                      // substring of the address; empty: all
  std::string reason;                        // exactly this reason; empty: any
  std::optional<suppression_source> source;  // this source only; nullopt: any
  std::size_t limit = 100;
  std::string cursor;  // opaque; entries are ordered by address
};
struct suppression_page {
  std::vector<suppression_entry> entries;
  std::optional<std::string> next;
};

// ---- the interface
// -------------------------------------------------------------------------------
class store {
 public:
  virtual ~store() = default;

  // workspaces
  virtual result<workspace> create_workspace(const workspace& w) = 0;  // fails if it exists
  /// The workspace, created with defaults when absent (the CLI's "default" workspace).
  virtual result<workspace> ensure_workspace(std::string_view id) = 0;
  virtual result<std::optional<workspace>> find_workspace(std::string_view id) = 0;
  /// Every workspace, by id (the CLI names them when given an unknown one).
  virtual result<std::vector<workspace>> list_workspaces() = 0;
  virtual status set_retention(std::string_view workspace, int days) = 0;

  // writes
  /// Stores new events exactly once (by identity), updates statuses, rollups and the suppression
  /// list, all in one transaction. Concurrent callers are committed together (group commit).
  /// `now` (ms) decides retention expiry.
  virtual result<ingest_summary> ingest(std::string_view workspace,
                                        std::span<const ingest_item> items, std::int64_t now,
                                        const ingest_options& options) = 0;
  result<ingest_summary> ingest(std::string_view workspace, std::span<const ingest_item> items,
                                std::int64_t now) {
    return ingest(workspace, items, now, ingest_options{});
  }
  /// Remembers an SNS MessageId; true when it was new. The server drops repeated deliveries early.
  virtual result<bool> remember_sns_message(std::string_view workspace,
                                            std::string_view sns_message_id, std::int64_t now) = 0;
  virtual result<bool> sns_message_seen(std::string_view workspace,
                                        std::string_view sns_message_id) = 0;

  // reads
  virtual result<event_page> list_events(std::string_view workspace, const event_query& q) = 0;
  /// One page of a recipient's history (store.bad_input for a cursor it did not give out).
  virtual result<recipient_history> recipient(std::string_view workspace, std::string_view address,
                                              const history_query& q) = 0;
  result<recipient_history> recipient(std::string_view workspace, std::string_view address) {
    return recipient(workspace, address, history_query{});
  }
  /// One page of a message's history.
  virtual result<message_history> message(std::string_view workspace, std::string_view message_id,
                                          const history_query& q) = 0;
  result<message_history> message(std::string_view workspace, std::string_view message_id) {
    return message(workspace, message_id, history_query{});
  }
  /// Rollup rows for hours in [since, until) (ms; rounded down to the hour), ordered by hour, type.
  virtual result<std::vector<rollup_row>> rollups(std::string_view workspace, std::int64_t since,
                                                  std::int64_t until) = 0;
  /// The same counters for a caller that buckets by whole UTC days or longer: a backend with a
  /// daily level may return a whole day inside the range as one row per type at the day's first
  /// hour (far fewer rows for long ranges). Ordered by hour, type. Default: the hourly rows.
  virtual result<std::vector<rollup_row>> rollups_by_day(std::string_view workspace,
                                                         std::int64_t since, std::int64_t until) {
    return rollups(workspace, since, until);
  }
  /// The n most clicked links in hours [since, until) (rounded like rollups), by clicks then link.
  virtual result<std::vector<link_rollup>> top_links(std::string_view workspace, std::int64_t since,
                                                     std::int64_t until, std::size_t n) = 0;
  /// The n recipient domains with most bounces in hours [since, until), by bounces then domain.
  virtual result<std::vector<domain_rollup>> top_bouncing_domains(std::string_view workspace,
                                                                  std::int64_t since,
                                                                  std::int64_t until,
                                                                  std::size_t n) = 0;
  /// Number of (message, recipient) pairs per current status, counting the pairs whose first
  /// event is in hours [since, until) (rounded like rollups).
  virtual result<std::vector<std::pair<delivery_status, std::int64_t>>> status_counts(
      std::string_view workspace, std::int64_t since, std::int64_t until) = 0;
  /// Number of (message, recipient) pairs per current status.
  virtual result<std::vector<std::pair<delivery_status, std::int64_t>>> status_counts(
      std::string_view workspace) = 0;

  // suppression list
  virtual result<suppression_page> list_suppressions(std::string_view workspace,
                                                     const suppression_query& q) = 0;
  virtual result<std::optional<suppression_entry>> find_suppression(std::string_view workspace,
                                                                    std::string_view address) = 0;
  /// Adds or keeps entries (an existing address keeps its first reason); returns how many were new.
  /// All or nothing: one transaction.
  virtual result<std::size_t> add_suppressions(std::string_view workspace,
                                               std::span<const suppression_entry> entries) = 0;
  /// Returns true when the address was on the list.
  virtual result<bool> remove_suppression(std::string_view workspace, std::string_view address) = 0;
  /// Replaces an entry's reason (PATCH /suppression-list/{address}); the entry as it is now,
  /// nullopt when the address is not on the list. Its source and date stay.
  virtual result<std::optional<suppression_entry>> set_suppression_reason(
      std::string_view workspace, std::string_view address, std::string_view reason) = 0;

  // maintenance
  /// Deletes raw events older than the workspace's retention in transactions of `batch` rows,
  /// releasing the writer between batches so ingestion continues. Rollups and statuses are kept.
  /// `between` (when set) runs after each committed batch, outside any transaction: the
  /// background purger pauses there, and a false answer stops the purge (shutdown). Safe to run
  /// from several processes at once (the deletes are idempotent; PostgreSQL also takes a lease).
  /// Returns the number of events deleted.
  virtual result<std::size_t> apply_retention(std::string_view workspace, std::int64_t now,
                                              std::size_t batch = 5000,
                                              const std::function<bool()>& between = {}) = 0;
  /// Schema version of the open database, and the newest this build knows.
  virtual int schema_version() const = 0;
};

struct open_options {
  std::string path;  // file path; ":memory:" is not supported (readers need a file)
  int busy_timeout_ms = 5000;
  std::size_t readers = 4;  // read connections pooled for concurrent queries
  bool create = true;       // create the file when absent
};

/// Opens (and migrates) the SQLite store at `opt.path`. Errors: read_only, schema_too_new,
/// corrupt, unavailable — each with a message naming the file.
result<std::unique_ptr<store>> open_sqlite(const open_options& opt);

}  // namespace sesami::store
