// The ingest story: parse → identity → store exactly once → suppress. Everything between the
// bytes that arrived and the rows that are durable happens here or below (store/).
#include "import.hpp"

#include <algorithm>
#include <chrono>
#include <span>
#include <utility>

#include <sesami/categorize.hpp>
#include <sesami/identity.hpp>
#include <sesami/parse.hpp>
#include <sesami/to_json.hpp>

#include "ingest_observer.hpp"

namespace sesami::app {

std::int64_t now_ms() noexcept {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::vector<store::ingest_item> prepare(const std::vector<sesami::event>& events) {
  std::vector<store::ingest_item> items(events.size());
  for (std::size_t i = 0; i < events.size(); ++i) {
    const sesami::event& e = events[i];
    auto& it = items[i];
    it.ev = &e;
    it.id = sesami::event_id(e);  // the core's identity: what "the same event" means
    it.doc.reserve(512);
    sesami::append_json(e, it.doc);
    // Only the affected recipient, and only by categorize's rules (hard bounce, complaint ...).
    if (auto why = sesami::suppression_reason(e)) it.suppress = *why;
  }
  return items;
}

boost::system::result<payload_outcome, ingest_error> ingest_payload(store::store& s,
                                                                    std::string_view workspace,
                                                                    std::string_view body,
                                                                    std::int64_t now) {
  batch_result parsed = parse_batch(body);
  if (!parsed.diagnostics.empty()) {
    const diagnostic& d = parsed.diagnostics.front();
    std::string where = "line " + std::to_string(d.line);
    if (d.index) where += ", item " + std::to_string(*d.index);
    if (!d.path.empty()) where += ", " + d.path;
    return ingest_error{false, std::string(d.err.id()), where + ": " + d.err.message};
  }
  payload_outcome out;
  out.skipped = parsed.skipped;
  if (parsed.events.empty()) return out;
  const auto items = prepare(parsed.events);
  auto stored = s.ingest(workspace, items, now);
  if (!stored) return ingest_error{true, std::string(stored.error().id()), stored.error().message};
  out.summary = *stored;
  if (stored->stored > 0) notify_ingested(workspace, parsed.events);
  return out;
}

struct importer::batch {
  std::vector<sesami::event> events;
  std::vector<store::ingest_item> items;
};

importer::importer(store::store& s, std::string workspace, std::size_t batch_size)
    : store_(s), workspace_(std::move(workspace)), batch_size_(batch_size ? batch_size : 1) {}

importer::~importer() {
  if (inflight_result_.valid()) inflight_result_.wait();  // never leave a transaction unowned
}

store::status importer::add_text(std::string_view text, std::string_view source,
                                 std::size_t first_line) {
  // Files are the operator's: SESami's own export (normalized events) is read back too.
  parse_options po;
  po.normalized = true;
  batch_result parsed = parse_batch(text, po);
  read_ += parsed.events.size() + parsed.diagnostics.size();
  for (auto& d : parsed.diagnostics) {
    std::string msg = d.path.empty() ? d.err.message : d.path + ": " + d.err.message;
    if (d.index) msg = "item " + std::to_string(*d.index) + ": " + msg;
    rejected_.push_back(
        {std::string(source), d.line + first_line - 1, std::string(d.err.id()), std::move(msg)});
  }
  if (pending_.empty()) {
    pending_ = std::move(parsed.events);
  } else {
    pending_.insert(pending_.end(), std::make_move_iterator(parsed.events.begin()),
                    std::make_move_iterator(parsed.events.end()));
  }
  if (pending_.size() >= batch_size_) return dispatch(false);
  return {};
}

store::status importer::add_events(std::vector<sesami::event> events) {
  read_ += events.size();
  pending_.insert(pending_.end(), std::make_move_iterator(events.begin()),
                  std::make_move_iterator(events.end()));
  if (pending_.size() >= batch_size_) return dispatch(false);
  return {};
}

store::status importer::flush() {
  if (auto d = dispatch(true); !d) return d;
  // The batches were committed without waiting for the disk (ingest_options::durable false); this
  // durable ingest makes all of them durable before the import reports success.
  auto synced = store_.ingest(workspace_, {}, now_ms(), store::ingest_options{false, true});
  if (!synced) return synced.error();
  return {};
}

store::status importer::collect() {
  if (!inflight_result_.valid()) return {};
  auto r = inflight_result_.get();
  inflight_.reset();
  if (!r) return r.error();
  summary_ += *r;
  if (cb_) cb_(cb_ctx_, *this);
  return {};
}

store::status importer::dispatch(bool wait) {
  // One transaction per batch_size_ events: a crash loses at most the batches in flight, and
  // re-running the import stores exactly what is missing (writes are idempotent by identity).
  std::size_t done = 0;
  const std::size_t total = pending_.size();
  while (total - done >= batch_size_ || (wait && done < total)) {
    const std::size_t n = std::min(batch_size_, total - done);
    auto b = std::make_unique<batch>();
    b->events.assign(
        std::make_move_iterator(pending_.begin() + static_cast<std::ptrdiff_t>(done)),
        std::make_move_iterator(pending_.begin() + static_cast<std::ptrdiff_t>(done + n)));
    b->items = prepare(b->events);  // identity and JSON here, while the previous batch commits
    done += n;
    if (auto c = collect(); !c) {
      pending_.clear();
      return c;
    }
    inflight_ = std::move(b);
    inflight_result_ = std::async(std::launch::async, [this, items = std::span(inflight_->items)] {
      // Files are exactly-once by identity; SNS MessageIds matter only on the webhook path.
      // Durability is deferred to flush(): a crash before it loses batches that re-running the
      // import stores again (idempotent), never half a batch.
      return store_.ingest(workspace_, items, now_ms(), store::ingest_options{false, false});
    });
  }
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(done));
  if (wait) return collect();
  return {};
}

store::status import_stream(std::FILE* in, std::string_view name, importer& im,
                            const stream_options& opt,
                            const std::function<void(std::size_t)>& on_piece) {
  const std::string source(name);
  return stream_pieces(
      in, name, opt,
      [&](std::string_view text, std::size_t line) { return im.add_text(text, source, line); },
      [&](std::size_t line, std::string_view what) {
        im.reject({source, line, "sesami.too_large",
                   std::string(what) + " larger than " + std::to_string(opt.max_document >> 20) +
                       " MB (the most sesami import reads as one document); split it, or write "
                       "one document per line (JSON Lines)"});
      },
      on_piece);
}

}  // namespace sesami::app
