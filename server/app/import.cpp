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

namespace {
// True when the first document of `text` (from its first non-blank byte) is complete at the end
// of its first line: the input is JSON Lines. Strings (and escapes in them) are skipped, so braces
// inside values do not count. Undecided (false, *decided false) until a line end is present.
bool first_line_is_document(std::string_view text, bool* decided) {
  int depth = 0;
  bool in_string = false, escape = false, started = false;
  for (const char c : text) {
    if (in_string) {
      if (escape)
        escape = false;
      else if (c == '\\')
        escape = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    switch (c) {
      case '"':
        in_string = started = true;
        break;
      case '{':
      case '[':
        ++depth;
        started = true;
        break;
      case '}':
      case ']':
        --depth;
        break;
      case '\n':
        if (started) {
          *decided = true;
          return depth <= 0;
        }
        break;
      default:
        break;
    }
  }
  *decided = false;
  return false;
}
}  // namespace

store::status import_stream(std::FILE* in, std::string_view name, importer& im,
                            const stream_options& opt,
                            const std::function<void(std::size_t)>& on_piece) {
  enum class shape { unknown, lines, whole } sh = shape::unknown;
  std::string buf;
  std::size_t line = 1;    // line number of buf's first byte
  bool skip_line = false;  // dropping an oversized line up to its end
  bool skip_rest = false;  // dropping the rest of an oversized single document
  std::vector<char> block(1 << 20);
  const std::string source(name);
  auto feed = [&](std::string_view text) -> store::status {
    if (auto s = im.add_text(text, source, line); !s) return s;
    line += static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
    if (on_piece) on_piece(text.size());
    return {};
  };
  auto too_big = [&](const char* what) {
    // The line the document starts on: blank lines before it are not part of it.
    const auto first = std::min(buf.size(), buf.find_first_not_of(" \t\r\n\xEF\xBB\xBF"));
    const auto blank = static_cast<std::size_t>(
        std::count(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(first), '\n'));
    im.reject({source, line + blank, "sesami.too_large",
               std::string(what) + " larger than " + std::to_string(opt.max_document >> 20) +
                   " MB (the most sesami import reads as one document); split it, or write one "
                   "document per line (JSON Lines)"});
  };
  for (;;) {
    const std::size_t n = std::fread(block.data(), 1, block.size(), in);
    if (n == 0) break;
    if (skip_rest) {
      if (on_piece) on_piece(n);
      continue;
    }
    std::string_view data(block.data(), n);
    if (skip_line) {
      const auto nl = data.find('\n');
      if (on_piece) on_piece(nl == std::string_view::npos ? n : nl + 1);
      if (nl == std::string_view::npos) continue;
      skip_line = false;
      ++line;
      data.remove_prefix(nl + 1);
    }
    buf.append(data);
    if (sh == shape::unknown) {
      const auto first = buf.find_first_not_of(" \t\r\n\xEF\xBB\xBF");
      if (first != std::string::npos && buf[first] == '[') {
        sh = shape::whole;
      } else if (first != std::string::npos) {
        bool decided = false;
        const bool lines = first_line_is_document(std::string_view(buf).substr(first), &decided);
        if (decided) sh = lines ? shape::lines : shape::whole;
      }
    }
    if (sh == shape::lines && buf.size() >= opt.chunk_bytes) {
      const auto cut = buf.rfind('\n');
      if (cut != std::string::npos) {
        if (auto s = feed(std::string_view(buf).substr(0, cut + 1)); !s) return s;
        buf.erase(0, cut + 1);
      } else if (buf.size() > opt.max_document) {
        too_big("a line");
        if (on_piece) on_piece(buf.size());
        buf.clear();
        skip_line = true;
      }
    } else if (sh != shape::lines && buf.size() > opt.max_document) {
      too_big("a JSON document");  // pretty-printed or an array: the rest of the input is it
      if (on_piece) on_piece(buf.size());
      buf.clear();
      skip_rest = true;
    }
  }
  if (std::ferror(in)) return store::error{store::errc::unavailable, source + ": read error"};
  if (!buf.empty()) return feed(buf);
  return {};
}

}  // namespace sesami::app
