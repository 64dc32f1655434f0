#pragma once
// The ingest story, in one place: parse (core) → identity (core) → store exactly once (store) →
// suppress (core's categorize rules, applied inside the same store transaction).
// Used by `sesami import`, `sesami demo` and the HTTP server's ingestion routes. No sockets, no
// SQL.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <sesami/error.hpp>
#include <sesami/event.hpp>

#include "../store/store.hpp"
#include "text_stream.hpp"

namespace sesami::app {

/// One item the parser refused: where (file and 1-based line, or the item index for a JSON
/// array) and why. Printed by the CLI as `FILE:LINE: reason`.
struct rejected_item {
  std::string source;  // file name, "-" for stdin, or the request id
  std::size_t line = 0;
  std::string code;  // stable id, "sesami.bad_json"
  std::string message;
};

/// Turns parsed events into store items: identity, stored JSON document, suppression reason.
std::vector<store::ingest_item> prepare(const std::vector<sesami::event>& events);

/// Outcome of storing one payload (one HTTP body): every event in it committed.
struct payload_outcome {
  store::ingest_summary summary;
  std::size_t skipped = 0;  // valid documents that carry no event (subscription confirmations)
};

/// The HTTP server's ingest: parses one payload (any shape the core knows: SNS envelope,
/// EventBridge, event publishing, classic notification, or several as a JSON array / JSON Lines)
/// and stores its events durably, group-committed with concurrent callers; returns after commit.
/// Any rejected item rejects the whole payload and nothing is stored (HTTP 400, AWS does not
/// retry a 4xx); a storage failure is `storage` (HTTP 503, so AWS retries).
struct ingest_error {
  bool storage = false;  // true: the store failed (503); false: the payload is bad (400)
  std::string id;        // "sesami.bad_json", "store.unavailable", ...
  std::string message;
};
boost::system::result<payload_outcome, ingest_error> ingest_payload(store::store& s,
                                                                    std::string_view workspace,
                                                                    std::string_view body,
                                                                    std::int64_t now);

/// Streams many documents (files, stdin, generated demo data) into the store in transactions of
/// `batch_size` events: each transaction is atomic, and re-running an interrupted import completes
/// it without duplicates (idempotent by identity).
///
/// Parsing and storing overlap: a batch is committed on a background thread while the caller
/// parses the next one (at most one batch in flight), so an import costs about the larger of the
/// two rather than their sum. Not thread-safe itself: one importer per import.
class importer {
 public:
  importer(store::store& s, std::string workspace, std::size_t batch_size = 10000);
  ~importer();
  importer(const importer&) = delete;
  importer& operator=(const importer&) = delete;

  /// Parses one text — a single JSON document, a JSON array of documents, or JSON Lines; SES
  /// payloads of any shape and SESami's normalized events (an export), told apart per document —
  /// and queues its events; stores a batch whenever `batch_size` events are queued. Bad items are
  /// recorded (source:line) and skipped; only a storage error stops the import.
  /// `first_line` numbers the text's first line (a file read in chunks continues its count).
  store::status add_text(std::string_view text, std::string_view source,
                         std::size_t first_line = 1);
  /// Queues already-parsed events (the demo generator's, after it went through the parser).
  store::status add_events(std::vector<sesami::event> events);
  /// Stores whatever is queued, waits for every batch to commit, and makes them durable: batches
  /// commit without waiting for the disk (a power loss may drop the last ones; a process crash
  /// does not), flush() returns only when everything stored is on disk — report success after it.
  store::status flush();

  /// Events parsed plus items rejected: read() == stored + duplicates + expired + rejected.
  std::size_t read() const noexcept { return read_; }
  const store::ingest_summary& summary() const noexcept { return summary_; }
  const std::vector<rejected_item>& rejected() const noexcept { return rejected_; }
  /// Records an item refused before parsing (a document past the size bound): counted as read
  /// and rejected, like a parse error.
  void reject(rejected_item r) {
    ++read_;
    rejected_.push_back(std::move(r));
  }
  /// Callback after each committed batch (the CLI's progress line).
  void on_commit(void (*fn)(void*, const importer&), void* ctx) { cb_ = fn, cb_ctx_ = ctx; }

 private:
  struct batch;  // events and their store items, kept alive while their transaction runs
  store::status dispatch(bool wait);
  store::status collect();  // waits for the batch in flight, adds its summary

  store::store& store_;
  std::string workspace_;
  std::size_t batch_size_;
  std::vector<sesami::event> pending_;
  std::size_t read_ = 0;
  store::ingest_summary summary_;
  std::vector<rejected_item> rejected_;
  void (*cb_)(void*, const importer&) = nullptr;
  void* cb_ctx_ = nullptr;
  std::unique_ptr<batch> inflight_;
  std::future<store::result<store::ingest_summary>> inflight_result_;
};

/// Reads one input (a file, or stdin) into the importer. The shape is told from the first line:
/// if the first document ends on it, the input is JSON Lines (a broken line is rejected alone);
/// otherwise — a JSON array, a pretty-printed document — it is one document, read whole.
/// `on_piece` gets the byte count of each piece handed over (progress). Only a read or storage
/// error stops it; bad items are recorded in the importer.
store::status import_stream(std::FILE* in, std::string_view name, importer& im,
                            const stream_options& opt = {},
                            const std::function<void(std::size_t)>& on_piece = {});

/// Milliseconds since the Unix epoch, now (the app layer owns the clock; the core has none).
std::int64_t now_ms() noexcept;

}  // namespace sesami::app
