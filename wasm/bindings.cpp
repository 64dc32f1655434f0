// Embind bindings of the core: they adapt names and types, nothing else. Every fallible function
// returns {ok:true, ...} or {ok:false, error:{code, message}} (code = the core's stable id);
// nothing throws across the boundary. Results cross once per call: event lists and aggregations as
// one JSON string, columns as typed-array views of wasm memory, never one JS object per event.
#include <malloc.h>  // mallinfo: the allocated bytes memory() reports

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <emscripten/bind.h>
#include <emscripten/heap.h>
#include <emscripten/val.h>

#include <sesami/aggregate.hpp>
#include <sesami/aggregate_json.hpp>
#include <sesami/batch.hpp>
#include <sesami/categorize.hpp>
#include <sesami/demo.hpp>
#include <sesami/error.hpp>
#include <sesami/filter.hpp>
#include <sesami/identity.hpp>
#include <sesami/json_src.hpp>  // Boost.JSON's implementation: this is the module's one TU
#include <sesami/parse.hpp>
#include <sesami/rollup.hpp>
#include <sesami/template.hpp>
#include <sesami/to_json.hpp>
#include <sesami/version.hpp>

#ifdef BOOST_NO_EXCEPTIONS
#include <cstdio>
#include <cstdlib>
// Built without exceptions: Boost calls these where it would throw. The core never reaches them on
// bad input (it reads JSON with the non-throwing accessors), so reaching one is a bug: stop loudly
// rather than continue in an unknown state.
namespace boost {
BOOST_NORETURN void throw_exception(const std::exception& e) {
  std::fprintf(stderr, "sesami: unexpected exception: %s\n", e.what());
  std::abort();
}
BOOST_NORETURN void throw_exception(const std::exception& e, const boost::source_location&) {
  throw_exception(e);
}
}  // namespace boost
#endif

namespace {
using emscripten::val;

val ok() {
  val v = val::object();
  v.set("ok", true);
  return v;
}

val fail(const sesami::error& e) {
  val err = val::object();
  err.set("code", std::string(e.id()));
  err.set("message", e.message);
  val v = val::object();
  v.set("ok", false);
  v.set("error", err);
  return v;
}

template <class T>
val view(const std::vector<T>& v) {
  return val(emscripten::typed_memory_view(v.size(), v.data()));
}

/// Diagnostics as a JSON array: one string for the whole list, however long.
std::string diagnostics_json(const std::vector<sesami::diagnostic>& ds) {
  boost::json::array a;
  a.reserve(ds.size());
  for (const auto& d : ds) {
    boost::json::object o;
    o["line"] = d.line;
    if (d.index)
      o["index"] = *d.index;
    else
      o["index"] = nullptr;
    o["path"] = d.path;
    o["code"] = d.err.id();
    o["message"] = d.err.message;
    a.emplace_back(std::move(o));
  }
  return boost::json::serialize(a);
}

/// What every parse reports besides its events.
void set_parse_counts(val& v, const sesami::batch_result& r) {
  v.set("documents", static_cast<double>(r.documents));
  v.set("skipped", static_cast<double>(r.skipped));
  v.set("diagnostics", diagnostics_json(r.diagnostics));
}

/// `sesami parse`'s output: one event per line, each line ending in '\n'.
std::string json_lines(const std::vector<sesami::event>& events) {
  std::string out;
  out.reserve(events.size() * 700);
  for (const auto& e : events) {
    sesami::append_json(e, out);
    out += '\n';
  }
  return out;
}

/// Input bytes that JS writes straight into wasm memory (TextEncoder.encodeInto, Uint8Array.set):
/// one native-speed copy, where Embind's std::string conversion copies byte by byte in JS.
class input {
 public:
  /// Resizes the buffer (keeping its bytes) and returns a view of all of it.
  val resize(double size) {
    bytes_.resize(static_cast<std::size_t>(size));
    return val(emscripten::typed_memory_view(bytes_.size(),
                                             reinterpret_cast<std::uint8_t*>(bytes_.data())));
  }
  /// Frees the buffer's memory between calls.
  void release() { std::string().swap(bytes_); }
  std::string_view bytes() const noexcept { return bytes_; }

 private:
  std::string bytes_;
};

/// parse(text) → {ok, jsonLines, count, documents, skipped, diagnostics}. Never fails as a whole:
/// rejected items are diagnostics, as in `sesami parse`.
val parse(const input& text) {
  const sesami::batch_result r = sesami::parse_batch(text.bytes());
  val v = ok();
  v.set("jsonLines", json_lines(r.events));
  v.set("count", static_cast<double>(r.events.size()));
  set_parse_counts(v, r);
  return v;
}

/// A filter from [[key, value], ...] (the JS wrapper's form of query parameters).
sesami::result<sesami::filter> filter_from_pairs(const std::string& pairs_json) {
  if (pairs_json.empty()) return sesami::filter{};
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(pairs_json, ec);
  const auto* arr = ec ? nullptr : v.if_array();
  if (!arr) return sesami::error{sesami::errc::bad_filter, "filter: expected [[key, value], ...]"};
  std::vector<sesami::query_param> params;
  params.reserve(arr->size());
  for (const auto& p : *arr) {
    const auto* kv = p.if_array();
    const auto* k = kv && kv->size() == 2 ? (*kv)[0].if_string() : nullptr;
    const auto* s = kv && kv->size() == 2 ? (*kv)[1].if_string() : nullptr;
    if (!k || !s)
      return sesami::error{sesami::errc::bad_filter, "filter: expected [[key, value], ...]"};
    params.emplace_back(std::string_view(k->data(), k->size()),
                        std::string_view(s->data(), s->size()));
  }
  return sesami::filter_from_query(params);
}

/// Aggregation options from plain arguments; "" stands for "not given" in from/to, which are
/// ISO 8601 like the filter's, read by the same parser.
sesami::result<sesami::aggregate_options> options_from(const std::string& bucket,
                                                       int offset_minutes, const std::string& from,
                                                       const std::string& to, int top) {
  sesami::aggregate_options o;
  const auto b = sesami::parse_bucket(bucket);
  if (!b)
    return sesami::error{sesami::errc::bad_filter, "bucket: expected hour, day, week or month"};
  o.bucket = *b;
  o.offset_minutes = offset_minutes;
  for (auto [text, slot, name] :
       {std::tuple{&from, &o.from, "from"}, std::tuple{&to, &o.to, "to"}}) {
    if (text->empty()) continue;
    *slot = sesami::detail::parse_iso8601(*text);
    if (!*slot)
      return sesami::error{sesami::errc::bad_filter,
                           std::string(name) + ": not an ISO 8601 timestamp: '" + *text + "'"};
  }
  if (top < 0) return sesami::error{sesami::errc::bad_filter, "top: must not be negative"};
  o.top = static_cast<std::size_t>(top);
  return o;
}

/// aggregateRollups(text, ...) → {ok, json, documents, skipped, diagnostics}: the text's events
/// stored as a store keeps them (each identity once, rolled up per hour) and aggregated from the
/// rollups, as GET /stats answers.
val aggregate_rollups(const input& text, const std::string& bucket, int offset_minutes,
                      const std::string& from, const std::string& to, int top) {
  auto o = options_from(bucket, offset_minutes, from, to, top);
  if (!o) return fail(o.error());
  const sesami::batch_result r = sesami::parse_batch(text.bytes());
  sesami::rollup_tables tables;
  for (const auto& e : r.events) tables.add(e);
  auto a = sesami::aggregate_rollups(tables.read().input(), *o);
  if (!a) return fail(a.error());
  val v = ok();
  v.set("json", sesami::to_json(*a));
  set_parse_counts(v, r);
  return v;
}

/// A columnar batch held on the wasm side, plus the current selection: JS loads data once, then
/// filters and aggregates with small results. JS frees it with delete() (the wrapper's dispose()).
class session {
 public:
  /// Parses SES payloads (any shape, JSON / array / JSON Lines) and appends their events to the
  /// batch being built; finish() makes it the session's batch.
  val append_text(const input& text) {
    const sesami::batch_result r = sesami::parse_batch(text.bytes());
    val v = append(r.events);
    if (v["ok"].as<bool>()) set_parse_counts(v, r);
    return v;
  }

  /// Appends normalized events as `sesami parse` prints them, one per line (to_json's inverse).
  val append_events(const input& in) {
    const std::string_view json_lines = in.bytes();
    std::vector<sesami::event> events;
    std::size_t line = 0;
    for (std::size_t pos = 0; pos < json_lines.size();) {
      const std::size_t nl = json_lines.find('\n', pos);
      const std::size_t end = nl == std::string_view::npos ? json_lines.size() : nl;
      const std::string_view text(json_lines.data() + pos, end - pos);
      pos = end + 1;
      ++line;
      if (text.find_first_not_of(" \t\r") == std::string_view::npos) continue;
      auto e = sesami::event_from_json(text);
      if (!e)
        return fail({e.error().code, "event " + std::to_string(line) + ": " + e.error().message});
      events.push_back(std::move(*e));
    }
    return append(events);
  }

  /// Ends building: the events appended so far become the batch, all selected.
  val finish() {
    replace(builder_.finish());
    return loaded();
  }

  /// The server's columnar /events body (application/vnd.sesami.columnar).
  val load_columnar(const input& bytes) {
    auto b = sesami::decode(bytes.bytes());
    if (!b) return fail(b.error());
    replace(std::move(*b));
    return loaded();
  }

  std::size_t size() const { return batch_.size(); }

  /// Selects the events passing the filter; later aggregate() calls see only them.
  val select(const std::string& filter_pairs) {
    auto f = filter_from_pairs(filter_pairs);
    if (!f) return fail(f.error());
    selection_ = sesami::select(batch_, *f);
    filter_ = std::move(*f);
    val v = ok();
    v.set("count", static_cast<double>(selection_.size()));
    return v;
  }

  /// Indices of the selected events (a view: valid until the next call into the module).
  val selection() const { return view(selection_); }

  /// Aggregates the current selection; the series span the filter's range unless from/to say.
  val aggregate(const std::string& bucket, int offset_minutes, const std::string& from,
                const std::string& to, int top) {
    auto o = options_from(bucket, offset_minutes, from, to, top);
    if (!o) return fail(o.error());
    if (!o->from) o->from = filter_.from;
    if (!o->to) o->to = filter_.to;
    auto a = sesami::aggregate(batch_, selection_, *o);
    if (!a) return fail(a.error());
    val v = ok();
    v.set("json", sesami::to_json(*a));
    return v;
  }

  /// One column as a typed-array view (undefined for an unknown name). Timestamps come as their
  /// raw bytes (Embind has no BigInt64Array view); the wrapper views them as a BigInt64Array.
  val column(const std::string& name) const {
    const auto& b = batch_;
    if (name == "timestamp")
      return val(
          emscripten::typed_memory_view(b.timestamp.size() * sizeof(std::int64_t),
                                        reinterpret_cast<const std::uint8_t*>(b.timestamp.data())));
    if (name == "type") return view(b.type);
    if (name == "flags") return view(b.flags);
    if (name == "pairStatus") return view(b.pair_status);
    if (name == "tagOffsets") return view(b.tag_offsets);
    if (name == "tagIds") return view(b.tag_ids);
    if (const auto* c = id_column(name)) return view(*c);
    return val::undefined();
  }

  /// One string dictionary as {chars: Uint8Array (UTF-8), offsets: Uint32Array}, both views.
  val dictionary(const std::string& name) const {
    const sesami::string_dict* d = dict(name);
    if (!d) return val::undefined();
    val v = val::object();
    v.set("chars", val(emscripten::typed_memory_view(
                       d->chars.size(), reinterpret_cast<const std::uint8_t*>(d->chars.data()))));
    v.set("offsets", view(d->offsets));
    return v;
  }

  /// The wire encoding of the batch, as a view of a buffer the session keeps until the next call.
  val encode() {
    encoded_ = sesami::encode(batch_);
    return val(emscripten::typed_memory_view(
        encoded_.size(), reinterpret_cast<const std::uint8_t*>(encoded_.data())));
  }

  /// Releases the batch's memory now (the JS object can be reused with another load).
  void clear() {
    builder_ = sesami::batch_builder();
    replace(sesami::batch{});
  }

 private:
  val append(const std::vector<sesami::event>& events) {
    builder_.reserve(builder_.size() + events.size());
    if (auto r = builder_.add(events); !r) {
      builder_ = sesami::batch_builder();  // a half-added list is no batch: start over
      return fail(r.error());
    }
    val v = ok();
    v.set("count", static_cast<double>(events.size()));
    return v;
  }
  void replace(sesami::batch&& b) {
    batch_ = std::move(b);
    filter_ = {};
    selection_ = sesami::select_all(batch_);
    std::string().swap(encoded_);
  }
  val loaded() const {
    val v = ok();
    v.set("count", static_cast<double>(batch_.size()));
    return v;
  }
  const std::vector<std::uint32_t>* id_column(const std::string& name) const {
    const auto& b = batch_;
    if (name == "message") return &b.message;
    if (name == "recipient") return &b.recipient;
    if (name == "domain") return &b.domain;
    if (name == "link") return &b.link;
    if (name == "configurationSet") return &b.config_set;
    if (name == "sender") return &b.sender;
    if (name == "subject") return &b.subject;
    if (name == "pair") return &b.pair;
    if (name == "pairLink") return &b.pair_link;
    return nullptr;
  }
  const sesami::string_dict* dict(const std::string& name) const {
    const auto& b = batch_;
    if (name == "message") return &b.messages;
    if (name == "recipient") return &b.recipients;
    if (name == "domain") return &b.domains;
    if (name == "link") return &b.links;
    if (name == "configurationSet") return &b.config_sets;
    if (name == "sender") return &b.senders;
    if (name == "subject") return &b.subjects;
    if (name == "tag") return &b.tags;
    return nullptr;
  }

  sesami::batch_builder builder_;
  sesami::batch batch_;
  sesami::filter filter_;
  sesami::selection selection_;
  std::string encoded_;
};

/// The demo data set (include/sesami/demo.hpp): SES payloads as AWS would deliver them, the
/// generator `sesami demo` imports from. Read in chunks, as JSON Lines.
class demo_generator {
 public:
  demo_generator(double events, double seed, int days, double end) {
    sesami::demo::options o;
    o.events = static_cast<std::size_t>(events);
    o.seed = static_cast<std::uint64_t>(seed);
    o.days = days;
    if (!std::isnan(end)) o.end = static_cast<std::int64_t>(end);
    gen_.emplace(o);
  }
  /// Up to `max_payloads` more payloads, one per line; "" when the data set is complete.
  std::string next(int max_payloads) {
    std::string out, payload;
    for (int i = 0; i < max_payloads && gen_->next(payload); ++i)
      out.append(payload).append(1, '\n');
    return out;
  }

 private:
  std::optional<sesami::demo::generator> gen_;  // optional: the generator has no default state
};

// ---- categorisation -------------------------------------------------------------------------

std::string classify_bounce(const std::string& type, const std::string& sub_type,
                            const std::string& status, const std::string& diagnostic) {
  return std::string(
      sesami::to_string(sesami::classify_bounce(type, sub_type, status, diagnostic)));
}

val verdict(const sesami::machine_verdict& m) {
  val v = val::object();
  v.set("machine", m.machine);
  v.set("reason", std::string(m.reason));
  return v;
}
val classify_open(const std::string& user_agent) {
  return verdict(sesami::classify_open(user_agent));
}
val classify_click(const std::string& user_agent, double clicked_at, double sent_at) {
  return verdict(sesami::classify_click(user_agent, static_cast<std::int64_t>(clicked_at),
                                        static_cast<std::int64_t>(sent_at)));
}

/// "5.1.1", or null when the text holds no enhanced status code.
val find_enhanced_status(const std::string& text) {
  const auto st = sesami::find_enhanced_status(text);
  if (!st) return val::null();
  return val(std::to_string(st->cls) + '.' + std::to_string(st->subject) + '.' +
             std::to_string(st->detail));
}

/// For one normalized event (JSON): its identity and why it suppresses its recipient (or null).
val inspect_event(const std::string& event_json) {
  auto e = sesami::event_from_json(std::string_view(event_json));
  if (!e) return fail(e.error());
  val v = ok();
  v.set("id", sesami::event_id(*e));
  const auto reason = sesami::suppression_reason(*e);
  v.set("suppressionReason", reason ? val(std::string(*reason)) : val::null());
  return v;
}

/// The filter's canonical query parameters ([[key, value], ...] JSON), for shareable URLs.
val canonical_filter(const std::string& filter_pairs) {
  auto f = filter_from_pairs(filter_pairs);
  if (!f) return fail(f.error());
  boost::json::array a;
  for (auto& [k, value] : sesami::to_query(*f)) a.emplace_back(boost::json::array{k, value});
  val v = ok();
  v.set("json", boost::json::serialize(a));
  return v;
}

/// An email template rendered with SES's rules (sesami/template.hpp), as the server renders it:
/// {ok, subject, text, html, missing: JSON array text}.
val render_template(const std::string& subject, const std::string& text, const std::string& html,
                    const std::string& data_json) {
  auto r = sesami::render_template_json({subject, text, html}, data_json);
  if (!r) return fail(r.error());
  boost::json::array missing;
  for (const auto& m : r->missing) missing.emplace_back(m);
  val v = ok();
  v.set("subject", r->subject);
  v.set("text", r->text);
  v.set("html", r->html);
  v.set("missing", boost::json::serialize(missing));
  return v;
}

std::string version() { return sesami::version_string; }

/// The module's memory: how big the heap has grown (it never shrinks) and how much of it is
/// allocated now. Tests use it to prove that calls do not leak; apps can show it.
val memory() {
  const struct mallinfo mi = mallinfo();
  val v = val::object();
  v.set("heapBytes", static_cast<double>(emscripten_get_heap_size()));
  v.set("usedBytes", static_cast<double>(mi.uordblks));
  return v;
}
}  // namespace

EMSCRIPTEN_BINDINGS(sesami) {
  namespace em = emscripten;
  em::function("version", &version);
  em::function("memory", &memory);
  em::function("parse", &parse);
  em::function("classifyBounce", &classify_bounce);
  em::function("classifyOpen", &classify_open);
  em::function("classifyClick", &classify_click);
  em::function("findEnhancedStatus", &find_enhanced_status);
  em::function("inspectEvent", &inspect_event);
  em::function("canonicalFilter", &canonical_filter);
  em::function("aggregateRollups", &aggregate_rollups);
  em::function("renderTemplate", &render_template);
  em::class_<input>("Input")
      .constructor<>()
      .function("resize", &input::resize)
      .function("release", &input::release);
  em::class_<demo_generator>("DemoGenerator")
      .constructor<double, double, int, double>()
      .function("next", &demo_generator::next);
  em::class_<session>("Session")
      .constructor<>()
      .function("appendText", &session::append_text)
      .function("appendEvents", &session::append_events)
      .function("finish", &session::finish)
      .function("loadColumnar", &session::load_columnar)
      .function("size", &session::size)
      .function("select", &session::select)
      .function("selection", &session::selection)
      .function("aggregate", &session::aggregate)
      .function("column", &session::column)
      .function("dictionary", &session::dictionary)
      .function("encode", &session::encode)
      .function("clear", &session::clear);
}
