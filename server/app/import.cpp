// The ingest story: parse → identity → store exactly once → suppress. Everything between the
// bytes that arrived and the rows that are durable happens here or below (store/).
#include "import.hpp"

#include <chrono>
#include <utility>

#include <sesami/categorize.hpp>
#include <sesami/identity.hpp>
#include <sesami/parse.hpp>
#include <sesami/to_json.hpp>

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
  return out;
}

importer::importer(store::store& s, std::string workspace, std::size_t batch_size)
    : store_(s), workspace_(std::move(workspace)), batch_size_(batch_size ? batch_size : 1) {}

store::status importer::add_text(std::string_view text, std::string_view source,
                                 std::size_t first_line) {
  batch_result parsed = parse_batch(text);
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
  if (pending_.size() >= batch_size_) return flush();
  return {};
}

store::status importer::add_events(std::vector<sesami::event> events) {
  read_ += events.size();
  pending_.insert(pending_.end(), std::make_move_iterator(events.begin()),
                  std::make_move_iterator(events.end()));
  if (pending_.size() >= batch_size_) return flush();
  return {};
}

store::status importer::flush() {
  // One transaction per batch_size_ events: a crash loses at most the batch in flight, and
  // re-running the import stores exactly what is missing (writes are idempotent by identity).
  std::size_t done = 0;
  while (done < pending_.size()) {
    const std::size_t n = std::min(batch_size_, pending_.size() - done);
    std::vector<sesami::event> slice(std::make_move_iterator(pending_.begin() + static_cast<std::ptrdiff_t>(done)),
                                     std::make_move_iterator(pending_.begin() + static_cast<std::ptrdiff_t>(done + n)));
    const auto items = prepare(slice);
    auto r = store_.ingest(workspace_, items, now_ms());
    if (!r) {
      pending_.clear();
      return r.error();
    }
    summary_ += *r;
    done += n;
    if (cb_) cb_(cb_ctx_, *this);
  }
  pending_.clear();
  return {};
}

}  // namespace sesami::app
