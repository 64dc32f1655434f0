#pragma once
// Every shape SES events arrive in → normalized per-recipient events (see docs/events.md).
//
//   parse_document   one JSON document of any shape (SNS envelope, raw SES record, classic
//                    notification, EventBridge, SQS message or ReceiveMessage response, Lambda
//                    event)
//   parse_batch      a single document, a JSON array of documents, or JSON Lines; returns the
//   events
//                    and one diagnostic per rejected item, never stopping at the first bad one
//   parse_sns_envelope  the SNS HTTP envelope itself, for the endpoint that must confirm
//                    subscriptions and check signatures before trusting the Message
//   parse_sns_message   the events of a verified envelope: its Message and nothing else
//
// Bad input is a value (result / diagnostics), never an exception.
//
// An SNS HTTPS endpoint: parse_sns_envelope(body) → check the signature over its fields → for a
// SubscriptionConfirmation visit subscribe_url; for a Notification parse_sns_message(envelope),
// which parses only the signed Message and keeps the SNS MessageId in event.source.sns_message_id
// for deduplication. Nothing beside the envelope's fields is ever read: an SNS envelope with SES
// fields next to it (eventType, mail, bounce ...) is refused by every parser here, since those
// fields are not what SNS signed.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parser.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <sesami/ascii.hpp>
#include <sesami/categorize.hpp>
#include <sesami/detail/iso8601.hpp>
#include <sesami/detail/json_access.hpp>
#include <sesami/error.hpp>
#include <sesami/event.hpp>
#include <sesami/to_json.hpp>

namespace sesami {

/// What SES itself bounds, bounded here too — generously (at least ten times SES's own limits, see
/// docs/events.md "Limits") — so that one payload's cost stays in proportion to its size. Beyond
/// any of them a document is refused with sesami.limit_exceeded.
struct parse_limits {
  std::size_t destinations = 10'000;  // mail.destination entries (SES: 50 recipients a message)
  std::size_t recipients = 10'000;    // bounced/complained/delayed/delivered recipients (SES: 50)
  std::size_t tags = 500;          // tag values of mail.tags, and of a click's linkTags (SES: 50)
  std::size_t tag_length = 2'560;  // characters of a tag's name or value (SES: 256)
  /// The text each recipient's event repeats (message id, sender, subject, configuration set,
  /// tags, the type's shared fields), times the events one record makes: what storing them costs.
  std::size_t expansion = 16u << 20;
};

struct parse_options {
  std::size_t max_depth = 64;    // JSON nesting limit, also bounds carriers inside carriers
  std::size_t max_document = 0;  // bytes per document; 0 = no limit
  parse_limits limits;
  /// Also read SESami's own normalized events (to_json.hpp: what `sesami export` and GET
  /// /events/export write) as top-level documents: `sesami import` takes an export back. Off for
  /// the ingestion routes, which take only what AWS sends.
  bool normalized = false;
};

/// One rejected item of a batch. `line` is 1-based where the item starts (JSON Lines, or the line
/// of a syntax error in a single document); `index` is the position in a top-level JSON array.
/// `path` says where inside the document ("Records[2].Sns.Message").
struct diagnostic {
  std::size_t line = 0;
  std::optional<std::size_t> index;
  std::string path;
  error err;
};

struct batch_result {
  std::vector<event> events;
  std::vector<diagnostic> diagnostics;
  std::size_t documents = 0;  // items seen: lines, array elements, or 1
  std::size_t skipped = 0;    // valid items that are not events (subscription confirmations ...)
};

/// The SNS HTTP(S) envelope. Field names follow SNS; Lambda's spellings (SigningCertUrl,
/// UnsubscribeUrl) are accepted too.
struct sns_envelope {
  std::string type;  // Notification, SubscriptionConfirmation, UnsubscribeConfirmation
  std::string message_id;
  std::string topic_arn;
  std::optional<std::string> subject;  // absent and empty differ in the signed string
  std::string message;
  std::string timestamp;
  std::string signature_version;
  std::string signature;
  std::string signing_cert_url;
  std::string subscribe_url;
  std::string unsubscribe_url;
  std::string token;
  /// The first top-level field beside the envelope that an SES event or another carrier uses
  /// (eventType, mail, bounce, Records ...): not covered by the signature, so a body carrying one
  /// is a forgery or a mistake. Empty for everything SNS itself sends.
  std::string unsigned_event_field;
};

namespace detail {

inline constexpr std::size_t max_carrier_depth = 8;  // SQS → SNS → SES is 3; leave room, stop loops

struct ses_type_name {
  std::string_view name;
  event_type type;
};
// eventType (event publishing) and notificationType (classic identity notifications).
inline constexpr ses_type_name ses_type_names[] = {
    {"Send", event_type::send},
    {"Delivery", event_type::delivery},
    {"Bounce", event_type::bounce},
    {"Complaint", event_type::complaint},
    {"Open", event_type::open},
    {"Click", event_type::click},
    {"Reject", event_type::reject},
    {"DeliveryDelay", event_type::delivery_delay},
    {"Rendering Failure", event_type::rendering_failure},
    {"RenderingFailure", event_type::rendering_failure},
    {"Subscription", event_type::subscription},
};
// EventBridge detail-type → SES event type (Amazon EventBridge events reference, "Amazon SES").
inline constexpr ses_type_name eventbridge_detail_types[] = {
    {"Email Sent", event_type::send},
    {"Email Delivered", event_type::delivery},
    {"Email Bounced", event_type::bounce},
    {"Email Complaint Received", event_type::complaint},
    {"Email Opened", event_type::open},
    {"Email Clicked", event_type::click},
    {"Email Rejected", event_type::reject},
    {"Email Delivery Delayed", event_type::delivery_delay},
    {"Email Rendering Failed", event_type::rendering_failure},
    {"Email Subscribed", event_type::subscription},
};
constexpr std::optional<event_type> lookup_type(const ses_type_name* first,
                                                const ses_type_name* last,
                                                std::string_view name) noexcept {
  for (; first != last; ++first)
    if (first->name == name) return first->type;
  return std::nullopt;
}

// Top-level keys an SES record or another carrier is read from. Beside an SNS envelope they are
// outside the signature (SNS signs Message, MessageId, Subject, Timestamp, TopicArn, Type and, for
// confirmations, SubscribeURL and Token), so no parser here reads them there.
inline constexpr std::string_view event_fields[] = {
    "eventType",     "notificationType", "mail",         "send",   "delivery",
    "bounce",        "complaint",        "open",         "click",  "reject",
    "deliveryDelay", "failure",          "subscription", "detail", "detail-type",
    "Records",       "Messages",         "Body"};

/// An object that looks like an SNS envelope (Type, and Message or TopicArn).
inline bool looks_like_sns_envelope(const boost::json::object& o) noexcept {
  const auto* t = o.if_contains("Type");
  return t && t->is_string() && (o.contains("Message") || o.contains("TopicArn"));
}

/// The first of event_fields present in `o`; empty when none is.
inline std::string_view event_field_in(const boost::json::object& o) noexcept {
  for (auto k : event_fields)
    if (o.contains(k)) return k;
  return {};
}

/// Where the current record came from.
struct carrier {
  std::string_view shape;              // outermost carrier wins
  std::string_view sns_message_id;     // nearest SNS envelope
  std::string_view configuration_set;  // EventBridge resources[] ARN
  std::string_view raw;                // text of the innermost document, for unknown events
  const boost::json::value* raw_value = nullptr;  // when no text is at hand (array elements)
};

struct sub_error {
  std::string path;
  error err;
};

class parser_state {
 public:
  explicit parser_state(const parse_options& opt)
      : opt_(opt),
        buffer_(new unsigned char[initial_buffer]),
        mr_(std::in_place, buffer_.get(), initial_buffer),
        sp_(&*mr_),
        parser_(boost::json::storage_ptr(), json_options(opt, false), temp_, sizeof temp_),
        nested_parser_(boost::json::storage_ptr(), json_options(opt, true), nested_temp_,
                       sizeof nested_temp_) {}

  /// Parses `text` into a value owned by the arena; nullptr and an error on failure.
  /// `error_offset` receives where a syntax error was found.
  /// `nested` text came out of a string of a document already parsed, hence already checked to be
  /// valid UTF-8 (escapes included): the second parse skips that check.
  const boost::json::value* parse_text(std::string_view text, error& err,
                                       std::size_t* error_offset = nullptr, bool nested = false) {
    if (opt_.max_document != 0 && text.size() > opt_.max_document) {
      err = {errc::too_large, "document of " + std::to_string(text.size()) +
                                  " bytes exceeds the limit of " +
                                  std::to_string(opt_.max_document)};
      return nullptr;
    }
    boost::system::error_code ec;
    boost::json::parser& p = nested ? nested_parser_ : parser_;
    p.reset(sp_);
    const std::size_t n = p.write_some(text.data(), text.size(), ec);
    if (!ec) {
      // Only whitespace may follow the value.
      for (std::size_t i = n; i < text.size(); ++i) {
        const char c = text[i];
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
          if (error_offset) *error_offset = i;
          err = {errc::bad_json,
                 "unexpected data after the JSON value at offset " + std::to_string(i)};
          return nullptr;
        }
      }
      values_.push_back(p.release());
      return &values_.back();
    }
    if (error_offset) *error_offset = n;
    if (ec == boost::json::error::too_deep) {
      err = {errc::too_deep, "nesting deeper than " + std::to_string(opt_.max_depth) + " levels"};
    } else {
      err = {errc::bad_json, ec.message() + " at offset " + std::to_string(n)};
    }
    return nullptr;
  }

  /// Frees every value parsed since the last reset (the arena keeps its first buffer).
  void reset() noexcept {
    values_.clear();
    // A fresh resource rather than release(): Boost 1.81's release() keeps the doubled block size,
    // so a long run of large documents would grow it until allocation fails.
    mr_.emplace(buffer_.get(), initial_buffer);
    sp_ = boost::json::storage_ptr(&*mr_);
  }

  const parse_options& options() const noexcept { return opt_; }
  std::string path;
  std::vector<sub_error> errors;

  void fail(errc code, std::string message) {
    errors.push_back({path, {code, std::move(message)}});
  }

 private:
  static constexpr std::size_t initial_buffer = 64 * 1024;  // heap: wasm stacks are small
  static boost::json::parse_options json_options(const parse_options& o, bool nested) {
    boost::json::parse_options jo;
    jo.max_depth = o.max_depth;
    jo.allow_invalid_utf8 = nested;
    return jo;
  }
  parse_options opt_;
  std::unique_ptr<unsigned char[]> buffer_;
  std::optional<boost::json::monotonic_resource> mr_;
  boost::json::storage_ptr sp_;
  unsigned char temp_[4096];
  unsigned char nested_temp_[4096];
  boost::json::parser parser_;
  boost::json::parser nested_parser_;
  // Values must stay put while events are built from them, and carriers parse nested documents
  // while their parent is in use: a deque never moves its elements on push_back.
  std::deque<boost::json::value> values_;
};

/// Appends a path segment for the duration of a scope.
class path_scope {
 public:
  path_scope(std::string& path, std::string_view key) : path_(path), size_(path.size()) {
    if (!path_.empty()) path_ += '.';
    path_ += key;
  }
  path_scope(std::string& path, std::size_t index) : path_(path), size_(path.size()) {
    path_ += '[';
    path_ += std::to_string(index);
    path_ += ']';
  }
  ~path_scope() { path_.resize(size_); }
  path_scope(const path_scope&) = delete;
  path_scope& operator=(const path_scope&) = delete;

 private:
  std::string& path_;
  std::size_t size_;
};

/// Tags (mail.tags, a click's linkTags) within parse_limits; false (and a failure) beyond them.
inline bool read_tags(parser_state& st, const boost::json::object* o, std::string_view where,
                      tag_map& tags) {
  tags.clear();
  if (!o) return true;
  const parse_limits& lim = st.options().limits;
  auto too_long = [&](std::string_view what, std::size_t n) {
    st.fail(errc::limit_exceeded, std::string(where) + ": a tag " + std::string(what) + " of " +
                                      std::to_string(n) + " characters exceeds the limit of " +
                                      std::to_string(lim.tag_length));
    return false;
  };
  std::size_t count = 0;
  auto one_more = [&] {
    if (++count <= lim.tags) return true;
    st.fail(errc::limit_exceeded,
            std::string(where) + ": more than " + std::to_string(lim.tags) + " tag values");
    return false;
  };
  tags.reserve(std::min(o->size(), lim.tags));
  for (const auto& kv : *o) {
    if (kv.key().size() > lim.tag_length) return too_long("name", kv.key().size());
    std::vector<std::string> values;
    auto add = [&](const boost::json::string& v) {
      if (v.size() > lim.tag_length) return too_long("value", v.size());
      if (!one_more()) return false;
      values.emplace_back(to_sv(v));
      return true;
    };
    if (const auto* arr = kv.value().if_array()) {
      values.reserve(std::min(arr->size(), lim.tags));
      for (const auto& v : *arr)
        if (const auto* s = v.if_string())
          if (!add(*s)) return false;
    } else if (const auto* s = kv.value().if_string()) {
      if (!add(*s)) return false;
    }
    if (values.empty() && !one_more()) return false;  // a name alone still costs its text
    tags.emplace_back(std::string(kv.key()), std::move(values));
  }
  std::sort(tags.begin(), tags.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  return true;
}

/// The text an event repeats from its record: what each further recipient's copy costs to keep.
inline std::size_t repeated_text(const event& e) noexcept {
  std::size_t n = e.message_id.size() + e.sender.size() + e.subject.size() +
                  e.configuration_set.size() + e.source.sns_message_id.size() +
                  e.source.shape.size();
  for (const auto& [name, values] : e.tags) {
    n += name.size();
    for (const auto& v : values) n += v.size();
  }
  std::visit(
      [&](const auto& d) {
        using T = std::decay_t<decltype(d)>;
        if constexpr (std::is_same_v<T, bounce_info>)
          n += d.type.size() + d.sub_type.size() + d.reporting_mta.size() + d.feedback_id.size();
        else if constexpr (std::is_same_v<T, complaint_info>)
          n += d.feedback_type.size() + d.sub_type.size() + d.user_agent.size() +
               d.feedback_id.size();
        else if constexpr (std::is_same_v<T, delivery_info>)
          n += d.smtp_response.size() + d.reporting_mta.size() + d.remote_mta_ip.size();
        else if constexpr (std::is_same_v<T, delay_info>)
          n += d.type.size() + d.reporting_mta.size();
        else if constexpr (std::is_same_v<T, reject_info>)
          n += d.reason.size();
        else if constexpr (std::is_same_v<T, failure_info>)
          n += d.template_name.size() + d.error_message.size();
      },
      e.details);
  return n;
}

/// False (and a failure) when `events` copies of a record whose events repeat `text` characters
/// would exceed parse_limits::expansion.
inline bool within_expansion(parser_state& st, std::size_t events, std::size_t text) {
  const std::size_t budget = st.options().limits.expansion;
  // 64 bytes an event for what is not text: a record of 10 000 recipients of a few characters
  // each still fits; text + 64 cannot overflow for any text this parser holds.
  if (events <= 1 || events <= budget / (text + 64)) return true;
  st.fail(errc::limit_exceeded, std::to_string(events) + " events repeating " +
                                    std::to_string(text) +
                                    " characters of the mail each exceed the limit of " +
                                    std::to_string(budget) + " bytes a record");
  return false;
}

/// SES has no events before the Unix epoch; the bound also keeps every time printable as
/// "YYYY-MM-DDThh:mm:ss.sssZ" and so round-trippable.
constexpr bool in_time_range(std::int64_t ms) noexcept { return ms >= 0 && ms < 253402300800000; }

/// A timestamp field: absent → nullopt with ok=true; present but not ISO 8601 → error.
inline bool read_time(parser_state& st, const boost::json::object& o, std::string_view key,
                      std::string_view where, std::optional<std::int64_t>& out) {
  const boost::json::value* v = o.if_contains(key);
  if (!v || v->is_null()) return true;
  const auto* s = v->if_string();
  if (!s) {
    st.fail(errc::wrong_type, std::string(where) + "." + std::string(key) + ": expected a string");
    return false;
  }
  out = parse_iso8601(to_sv(*s));
  if (out && !in_time_range(*out)) {
    st.fail(errc::bad_timestamp, std::string(where) + "." + std::string(key) +
                                     ": before 1970 or after 9999: \"" +
                                     std::string(to_sv(*s).substr(0, 40)) + "\"");
    return false;
  }
  if (!out) {
    st.fail(errc::bad_timestamp, std::string(where) + "." + std::string(key) +
                                     ": not ISO 8601: \"" + std::string(to_sv(*s).substr(0, 40)) +
                                     "\"");
    return false;
  }
  return true;
}

inline std::string_view config_set_from_arn(std::string_view arn) noexcept {
  constexpr std::string_view marker = ":configuration-set/";
  const std::size_t p = arn.find(marker);
  return p == std::string_view::npos ? std::string_view{} : arn.substr(p + marker.size());
}

/// Emits one copy of `base` per address, or one with recipient null and the destinations listed.
inline void emit_for_destinations(parser_state& st, event&& base, std::vector<event>& out,
                                  bool one_per_destination) {
  if (one_per_destination && !within_expansion(st, base.destinations.size(), repeated_text(base)))
    return;
  if (base.destinations.size() == 1) {
    base.recipient = std::move(base.destinations.front());
    base.destinations.clear();
    out.push_back(std::move(base));
  } else if (one_per_destination && !base.destinations.empty()) {
    std::vector<std::string> dests = std::move(base.destinations);
    base.destinations.clear();
    out.reserve(out.size() + dests.size());
    for (std::size_t i = 0; i < dests.size(); ++i) {
      event e = (i + 1 == dests.size()) ? std::move(base) : base;
      e.recipient = std::move(dests[i]);
      out.push_back(std::move(e));
    }
  } else {
    out.push_back(std::move(base));
  }
}

/// One SES record: an event-publishing record (eventType) or a classic notification.
inline void parse_ses_record(parser_state& st, const boost::json::object& rec,
                             std::string_view type_name, const carrier& car,
                             std::vector<event>& out) {
  event base;
  base.source.shape = std::string(car.shape.empty() ? "ses" : car.shape);
  base.source.sns_message_id = std::string(car.sns_message_id);

  const std::optional<event_type> type =
      lookup_type(std::begin(ses_type_names), std::end(ses_type_names), type_name);
  const boost::json::object* mail = get_object(rec, "mail");

  if (!type) {
    // Kept, not dropped: a type SES added after this code was written still reaches the user.
    base.type = event_type::unknown;
    if (mail) {
      base.message_id = std::string(string_or_empty(*mail, "messageId"));
      if (auto ts = get_string(*mail, "timestamp"))
        if (auto ms = parse_iso8601(*ts); ms && in_time_range(*ms))
          base.timestamp = base.sent_at = *ms;
    }
    base.raw = !car.raw.empty() ? std::string(car.raw)
                                : (car.raw_value ? boost::json::serialize(*car.raw_value)
                                                 : boost::json::serialize(rec));
    out.push_back(std::move(base));
    return;
  }
  base.type = *type;
  if (!mail) {
    st.fail(rec.contains("mail") ? errc::wrong_type : errc::missing_field,
            "mail: expected an object");
    return;
  }
  const auto message_id = get_string(*mail, "messageId");
  if (!message_id || message_id->empty()) {
    st.fail(errc::missing_field, "mail.messageId: expected a non-empty string");
    return;
  }
  base.message_id = std::string(*message_id);
  std::optional<std::int64_t> sent_at;
  if (!read_time(st, *mail, "timestamp", "mail", sent_at)) return;
  base.sent_at = sent_at.value_or(0);
  base.sender = std::string(string_or_empty(*mail, "source"));
  if (const auto* ch = get_object(*mail, "commonHeaders"))
    base.subject = std::string(string_or_empty(*ch, "subject"));
  {
    tag_map tags;
    if (!read_tags(st, get_object(*mail, "tags"), "mail.tags", tags)) return;
    base.tags = std::move(tags);  // held once: every event of this record shares it
  }
  for (const auto& t : base.tags)
    if (t.first == "ses:configuration-set" && !t.second.empty())
      base.configuration_set = t.second.front();
  if (base.configuration_set.empty())
    base.configuration_set = std::string(string_or_empty(*mail, "configurationSet"));
  if (base.configuration_set.empty()) base.configuration_set = std::string(car.configuration_set);
  if (const auto* dest = get_array(*mail, "destination")) {
    if (dest->size() > st.options().limits.destinations) {
      st.fail(errc::limit_exceeded, "mail.destination: " + std::to_string(dest->size()) +
                                        " addresses exceed the limit of " +
                                        std::to_string(st.options().limits.destinations));
      return;
    }
    base.destinations.reserve(dest->size());
    for (const auto& d : *dest)
      if (const auto* s = d.if_string()) base.destinations.push_back(normalize_address(to_sv(*s)));
  }

  // The type's own object: required for every type but Send, whose object is empty.
  static constexpr std::string_view keys[] = {"send",    "delivery",    "bounce", "complaint",
                                              "open",    "click",       "reject", "deliveryDelay",
                                              "failure", "subscription"};
  const std::string_view key = keys[static_cast<std::size_t>(*type)];
  const boost::json::object* body = get_object(rec, key);
  if (!body && *type != event_type::send) {
    st.fail(rec.contains(key) ? errc::wrong_type : errc::missing_field,
            std::string(key) + ": expected an object");
    return;
  }
  std::optional<std::int64_t> own_time;
  if (body && *type != event_type::send && *type != event_type::reject &&
      *type != event_type::rendering_failure) {
    if (!read_time(st, *body, "timestamp", key, own_time)) return;
  }
  // Send, reject and rendering failure happen when the mail is accepted: mail.timestamp is theirs.
  const std::optional<std::int64_t> when = own_time ? own_time : sent_at;
  if (!when) {
    st.fail(errc::missing_field, std::string(key) + ".timestamp: missing (and no mail.timestamp)");
    return;
  }
  base.timestamp = *when;

  // Per-recipient lists: an entry without an address is reported and skipped, the others kept.
  // Each recipient's event shares the record's tags and carries no destination list (it has its
  // recipient): the copies cost what the record's repeated text costs, bounded by the limits.
  // `shared` is the type's own text every recipient's event repeats.
  auto for_each_recipient = [&](std::string_view list_key, std::size_t shared,
                                auto&& make) -> bool {
    const boost::json::array* list = get_array(*body, list_key);
    if (!list || list->empty()) return false;
    path_scope ps(st.path, std::string(key) + "." + std::string(list_key));
    if (list->size() > st.options().limits.recipients) {
      st.fail(errc::limit_exceeded, std::to_string(list->size()) +
                                        " recipients exceed the limit of " +
                                        std::to_string(st.options().limits.recipients));
      return true;
    }
    if (!within_expansion(st, list->size(), repeated_text(base) + shared)) return true;
    base.destinations = {};  // not copied into each recipient's event
    out.reserve(out.size() + list->size());
    for (std::size_t i = 0; i < list->size(); ++i) {
      const boost::json::value& item = (*list)[i];
      std::optional<std::string_view> address;
      const boost::json::object* item_obj = item.if_object();
      if (item_obj) {
        address = get_string(*item_obj, "emailAddress");
      } else if (const auto* s = item.if_string()) {
        address = to_sv(*s);
      }
      if (!address || address->empty()) {
        path_scope pi(st.path, i);
        st.fail(errc::missing_field, "expected an email address");
        continue;
      }
      event e = base;
      e.recipient = normalize_address(*address);
      make(e, item_obj);
      out.push_back(std::move(e));
    }
    return true;
  };

  switch (*type) {
    case event_type::bounce: {
      bounce_info b;
      b.type = std::string(string_or_empty(*body, "bounceType"));
      b.sub_type = std::string(string_or_empty(*body, "bounceSubType"));
      b.reporting_mta = std::string(string_or_empty(*body, "reportingMTA"));
      b.feedback_id = std::string(string_or_empty(*body, "feedbackId"));
      const bool listed = for_each_recipient(
          "bouncedRecipients",
          b.type.size() + b.sub_type.size() + b.reporting_mta.size() + b.feedback_id.size(),
          [&](event& e, const boost::json::object* r) {
            bounce_info bi = b;
            if (r) {
              bi.action = std::string(string_or_empty(*r, "action"));
              bi.status = std::string(string_or_empty(*r, "status"));
              bi.diagnostic_code = std::string(string_or_empty(*r, "diagnosticCode"));
            }
            bi.cls = classify_bounce(bi);
            e.details = std::move(bi);
          });
      if (!listed) {
        b.cls = classify_bounce(b);
        base.details = std::move(b);
        emit_for_destinations(st, std::move(base), out, false);
      }
      return;
    }
    case event_type::complaint: {
      complaint_info c;
      c.feedback_type = std::string(string_or_empty(*body, "complaintFeedbackType"));
      c.sub_type = std::string(string_or_empty(*body, "complaintSubType"));
      c.user_agent = std::string(string_or_empty(*body, "userAgent"));
      c.feedback_id = std::string(string_or_empty(*body, "feedbackId"));
      const bool listed = for_each_recipient(
          "complainedRecipients",
          c.feedback_type.size() + c.sub_type.size() + c.user_agent.size() + c.feedback_id.size(),
          [&](event& e, const boost::json::object*) { e.details = c; });
      if (!listed) {
        base.details = std::move(c);
        emit_for_destinations(st, std::move(base), out, false);
      }
      return;
    }
    case event_type::delivery: {
      delivery_info d;
      d.smtp_response = std::string(string_or_empty(*body, "smtpResponse"));
      d.processing_time_millis = get_int64(*body, "processingTimeMillis").value_or(0);
      d.reporting_mta = std::string(string_or_empty(*body, "reportingMTA"));
      d.remote_mta_ip = std::string(string_or_empty(*body, "remoteMtaIp"));
      const bool listed = for_each_recipient(
          "recipients", d.smtp_response.size() + d.reporting_mta.size() + d.remote_mta_ip.size(),
          [&](event& e, const boost::json::object*) { e.details = d; });
      if (!listed) {
        base.details = std::move(d);
        emit_for_destinations(st, std::move(base), out, false);
      }
      return;
    }
    case event_type::delivery_delay: {
      delay_info d;
      d.type = std::string(string_or_empty(*body, "delayType"));
      d.reporting_mta = std::string(string_or_empty(*body, "reportingMTA"));
      std::optional<std::int64_t> expires;
      if (!read_time(st, *body, "expirationTime", key, expires)) return;
      d.expiration_time = expires.value_or(0);
      const bool listed = for_each_recipient(
          "delayedRecipients", d.type.size() + d.reporting_mta.size(),
          [&](event& e, const boost::json::object* r) {
            delay_info di = d;
            if (r) {
              di.status = std::string(string_or_empty(*r, "status"));
              di.diagnostic_code = std::string(string_or_empty(*r, "diagnosticCode"));
            }
            e.details = std::move(di);
          });
      if (!listed) {
        base.details = std::move(d);
        emit_for_destinations(st, std::move(base), out, false);
      }
      return;
    }
    case event_type::open: {
      open_info o;
      o.ip_address = std::string(string_or_empty(*body, "ipAddress"));
      o.user_agent = std::string(string_or_empty(*body, "userAgent"));
      const machine_verdict v = classify_open(o.user_agent);
      o.machine = v.machine;
      o.machine_reason = std::string(v.reason);
      base.details = std::move(o);
      // SES does not say which destination opened: one event, recipient null when several.
      emit_for_destinations(st, std::move(base), out, false);
      return;
    }
    case event_type::click: {
      click_info c;
      c.link = std::string(string_or_empty(*body, "link"));
      c.ip_address = std::string(string_or_empty(*body, "ipAddress"));
      c.user_agent = std::string(string_or_empty(*body, "userAgent"));
      if (!read_tags(st, get_object(*body, "linkTags"), "click.linkTags", c.link_tags)) return;
      const machine_verdict v = classify_click(c.user_agent, base.timestamp, base.sent_at);
      c.machine = v.machine;
      c.machine_reason = std::string(v.reason);
      base.details = std::move(c);
      emit_for_destinations(st, std::move(base), out, false);
      return;
    }
    case event_type::reject:
      base.details = reject_info{std::string(string_or_empty(*body, "reason"))};
      emit_for_destinations(st, std::move(base), out, true);
      return;
    case event_type::rendering_failure:
      base.details = failure_info{std::string(string_or_empty(*body, "templateName")),
                                  std::string(string_or_empty(*body, "errorMessage"))};
      emit_for_destinations(st, std::move(base), out, true);
      return;
    case event_type::subscription: {
      subscription_info s;
      s.contact_list = std::string(string_or_empty(*body, "contactList"));
      s.source = std::string(string_or_empty(*body, "source"));
      if (const auto* p = body->if_contains("newTopicPreferences"); p && !p->is_null())
        s.new_topic_preferences = boost::json::serialize(*p);
      if (const auto* p = body->if_contains("oldTopicPreferences"); p && !p->is_null())
        s.old_topic_preferences = boost::json::serialize(*p);
      base.details = std::move(s);
      emit_for_destinations(st, std::move(base), out, false);
      return;
    }
    case event_type::send:
    default:
      emit_for_destinations(st, std::move(base), out, true);
      return;
  }
}

/// A normalized event as to_json writes it: "type", "messageId" and "timestamp" as strings, and
/// none of the SES field names (those were tried first).
inline bool looks_normalized(const boost::json::object& o) noexcept {
  return get_string(o, "type") && get_string(o, "messageId") && get_string(o, "timestamp");
}

/// One normalized event back into an event. Recipients are stored lower-cased (the parser's
/// invariant, which status pairs rely on): an edited line is brought back to it. The "id" field is
/// not trusted: identity is recomputed from the other fields, as for every event.
inline void parse_normalized(parser_state& st, const boost::json::object& o,
                             std::vector<event>& out) {
  auto e = event_from_json(o);
  if (!e) {
    st.fail(e.error().code, e.error().message);
    return;
  }
  if (e->message_id.empty()) {
    st.fail(errc::missing_field, "messageId: an event needs its SES message id");
    return;
  }
  if (e->recipient) *e->recipient = ascii_lower(*e->recipient);
  for (auto& d : e->destinations) d = ascii_lower(d);
  out.push_back(std::move(*e));
}

inline void dispatch(parser_state& st, const boost::json::value& v, carrier car, std::size_t depth,
                     std::vector<event>& out, std::size_t& skipped);
inline void dispatch_object(parser_state& st, const boost::json::object& o, carrier car,
                            std::size_t depth, std::vector<event>& out, std::size_t& skipped);

/// A carrier field holding a whole document as a string (SNS Message, SQS Body): parse and go on.
inline void dispatch_text(parser_state& st, std::string_view text, carrier car, std::size_t depth,
                          std::vector<event>& out, std::size_t& skipped) {
  error err;
  const boost::json::value* inner = st.parse_text(text, err, nullptr, true);
  if (!inner) {
    st.fail(err.code, err.message);
    return;
  }
  car.raw = trim(text);
  car.raw_value = nullptr;
  dispatch(st, *inner, car, depth + 1, out, skipped);
}

inline void dispatch(parser_state& st, const boost::json::value& v, carrier car, std::size_t depth,
                     std::vector<event>& out, std::size_t& skipped) {
  if (depth > max_carrier_depth) {
    st.fail(errc::too_deep,
            "carriers nested more than " + std::to_string(max_carrier_depth) + " deep");
    return;
  }
  if (const auto* arr = v.if_array()) {
    for (std::size_t i = 0; i < arr->size(); ++i) {
      path_scope ps(st.path, i);
      carrier c = car;
      c.raw = {};
      c.raw_value = &(*arr)[i];
      dispatch(st, (*arr)[i], c, depth + 1, out, skipped);
    }
    return;
  }
  const auto* o = v.if_object();
  if (!o) {
    st.fail(errc::not_an_object,
            std::string("expected a JSON object, found ") + (v.is_string()   ? "a string"
                                                             : v.is_number() ? "a number"
                                                                             : "another value"));
    return;
  }
  dispatch_object(st, *o, car, depth, out, skipped);
}

inline void dispatch_object(parser_state& st, const boost::json::object& obj, carrier car,
                            std::size_t depth, std::vector<event>& out, std::size_t& skipped) {
  const boost::json::object* o = &obj;
  auto set_shape = [&](std::string_view s) {
    if (car.shape.empty()) car.shape = s;
  };

  // An SNS envelope's content is its Message. SES fields beside it were not signed by SNS: read
  // them neither as the event (they would win over the Message below) nor as anything else.
  if (looks_like_sns_envelope(*o))
    if (const auto f = event_field_in(*o); !f.empty()) {
      st.fail(errc::unknown_shape, std::string(f) +
                                       ": an SES field beside an SNS envelope (only the envelope's "
                                       "Message carries the event)");
      return;
    }

  // SES records first: the most common shape (raw delivery, Firehose, EventBridge detail).
  if (auto t = get_string(*o, "eventType")) {
    set_shape("ses");
    parse_ses_record(st, *o, *t, car, out);
    return;
  }
  if (auto t = get_string(*o, "notificationType")) {
    // Sent once when an identity is first pointed at a topic: a handshake, not an email event.
    if (*t == "AmazonSnsSubscriptionSucceeded") {
      ++skipped;
      return;
    }
    set_shape("ses");
    parse_ses_record(st, *o, *t, car, out);
    return;
  }
  // SNS envelope (HTTP POST body, or Records[].Sns in a Lambda event).
  if (auto t = get_string(*o, "Type"); t && (o->contains("Message") || o->contains("TopicArn"))) {
    set_shape("sns");
    if (*t != "Notification") {
      if (*t == "SubscriptionConfirmation" || *t == "UnsubscribeConfirmation") {
        ++skipped;
        return;
      }
      st.fail(errc::bad_value,
              "Type: unknown SNS message type \"" + std::string(t->substr(0, 40)) + "\"");
      return;
    }
    const auto message = get_string(*o, "Message");
    if (!message) {
      st.fail(o->contains("Message") ? errc::wrong_type : errc::missing_field,
              "Message: expected a string");
      return;
    }
    car.sns_message_id = string_or_empty(*o, "MessageId");
    path_scope ps(st.path, "Message");
    dispatch_text(st, *message, car, depth, out, skipped);
    return;
  }
  // EventBridge.
  if (auto dt = get_string(*o, "detail-type")) {
    set_shape("eventbridge");
    const auto* detail = get_object(*o, "detail");
    if (!detail) {
      st.fail(o->contains("detail") ? errc::wrong_type : errc::missing_field,
              "detail: expected an object");
      return;
    }
    if (const auto* res = get_array(*o, "resources"))
      for (const auto& r : *res)
        if (const auto* s = r.if_string())
          if (auto cs = config_set_from_arn(to_sv(*s)); !cs.empty()) car.configuration_set = cs;
    path_scope ps(st.path, "detail");
    if (auto t = get_string(*detail, "eventType")) {
      parse_ses_record(st, *detail, *t, car, out);
    } else {
      const auto mapped = lookup_type(std::begin(eventbridge_detail_types),
                                      std::end(eventbridge_detail_types), *dt);
      std::string_view name;
      if (mapped)
        for (const auto& n : ses_type_names)
          if (n.type == *mapped) {
            name = n.name;
            break;
          }
      // Other aws.ses detail-types (sending status, advisor) are kept as unknown events.
      parse_ses_record(st, *detail, mapped ? name : std::string_view("?"), car, out);
    }
    return;
  }
  // Lambda event: Records[] from SNS (Sns object) or SQS (body string).
  if (const auto* records = get_array(*o, "Records")) {
    for (std::size_t i = 0; i < records->size(); ++i) {
      path_scope ps(st.path, "Records");
      path_scope pi(st.path, i);
      const auto* r = (*records)[i].if_object();
      if (!r) {
        st.fail(errc::not_an_object, "expected a Lambda record object");
        continue;
      }
      carrier c = car;
      if (const auto* sns = get_object(*r, "Sns")) {
        if (c.shape.empty()) c.shape = "lambda-sns";
        path_scope pn(st.path, "Sns");
        c.raw = {};
        c.raw_value = nullptr;
        dispatch_object(st, *sns, c, depth + 1, out, skipped);
      } else if (auto body = get_string(*r, "body")) {
        if (c.shape.empty()) c.shape = "lambda-sqs";
        path_scope pb(st.path, "body");
        dispatch_text(st, *body, c, depth, out, skipped);
      } else {
        st.fail(errc::unknown_shape, "a Lambda record with neither Sns nor body");
      }
    }
    return;
  }
  // SQS ReceiveMessage response, and single SQS messages.
  if (const auto* messages = get_array(*o, "Messages")) {
    set_shape("sqs");
    for (std::size_t i = 0; i < messages->size(); ++i) {
      path_scope ps(st.path, "Messages");
      path_scope pi(st.path, i);
      dispatch(st, (*messages)[i], car, depth + 1, out, skipped);
    }
    return;
  }
  if (auto body = get_string(*o, "Body")) {
    set_shape("sqs");
    path_scope ps(st.path, "Body");
    dispatch_text(st, *body, car, depth, out, skipped);
    return;
  }
  if (o->contains("mail")) {
    st.fail(errc::missing_field, "eventType: missing (an object with mail but no event type)");
    return;
  }
  // SESami's own normalized event (an export read back): only as a document of its own, never
  // inside a carrier, and only where the caller asked for it.
  if (st.options().normalized && depth <= 1 && car.shape.empty() && looks_normalized(*o)) {
    parse_normalized(st, *o, out);
    return;
  }
  st.fail(errc::unknown_shape,
          "not an SES event, SNS envelope, EventBridge event, SQS message or Lambda event");
}

inline std::size_t line_of(std::string_view text, std::size_t offset) noexcept {
  offset = std::min(offset, text.size());
  return 1 + static_cast<std::size_t>(std::count(
                 text.begin(), text.begin() + static_cast<std::ptrdiff_t>(offset), '\n'));
}

inline std::string join_path(const sub_error& e) {
  return e.path.empty() ? e.err.message : e.path + ": " + e.err.message;
}

/// Runs the dispatcher over one parsed document, moving its errors into diagnostics.
/// `base`: what is already known of the carrier (an SNS envelope parsed by the caller), and
/// `path`, where the document sits in it.
inline void run_document(parser_state& st, const boost::json::value& v, std::string_view raw,
                         const boost::json::value* raw_value, batch_result& res, std::size_t line,
                         std::optional<std::size_t> index, const carrier& base = {},
                         std::string_view path = {}) {
  carrier car = base;
  car.raw = raw;
  car.raw_value = raw_value;
  st.errors.clear();
  st.path.assign(path);
  try {
    dispatch(st, v, car, 0, res.events, res.skipped);
  } catch (const std::bad_alloc&) {
    st.errors.push_back({st.path, {errc::too_large, "out of memory"}});
  } catch (const std::length_error&) {
    st.errors.push_back({st.path, {errc::too_large, "value too large"}});
  }
  for (auto& e : st.errors)
    res.diagnostics.push_back({line, index, std::move(e.path), std::move(e.err)});
  st.errors.clear();
}

inline bool is_json_ws(char c) noexcept { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

}  // namespace detail

/// Parses a batch: one document, a JSON array of documents, or JSON Lines (mixed shapes allowed).
/// Appends to `res`, so several inputs can share one result.
inline void parse_batch(std::string_view input, batch_result& res, const parse_options& opt = {}) {
  detail::parser_state st(opt);
  // Strip a UTF-8 byte order mark: editors on some systems add one.
  if (input.size() >= 3 && input.substr(0, 3) == "\xEF\xBB\xBF") input.remove_prefix(3);
  std::size_t first = 0;
  while (first < input.size() && detail::is_json_ws(input[first])) ++first;
  if (first == input.size()) return;  // nothing at all: no items, no errors

  // 1. The whole input as one value: a single document or an array of documents.
  error whole_err;
  std::size_t err_offset = 0;
  {
    detail::parser_state whole(opt);
    const boost::json::value* v = whole.parse_text(input, whole_err, &err_offset);
    if (v) {
      if (const auto* arr = v->if_array()) {
        for (std::size_t i = 0; i < arr->size(); ++i) {
          ++res.documents;
          detail::run_document(whole, (*arr)[i], {}, &(*arr)[i], res, 0, i);
        }
      } else {
        ++res.documents;
        detail::run_document(whole, *v, detail::trim(input), nullptr, res,
                             detail::line_of(input, first), std::nullopt);
      }
      return;
    }
  }

  // 2. JSON Lines: one document per line, each on its own, so a bad line costs only itself.
  //    Taken when one of the first non-blank lines stands alone as an object or array; otherwise
  //    the input is one broken document and is reported once, where the parser stopped.
  auto next_line = [&](std::size_t pos, std::string_view& line) {
    const std::size_t nl = input.find('\n', pos);
    const std::size_t end = nl == std::string_view::npos ? input.size() : nl;
    line = input.substr(pos, end - pos);
    return nl == std::string_view::npos ? input.size() : nl + 1;
  };
  bool json_lines = false;
  {
    std::size_t pos = 0;
    int looked = 0;
    while (pos < input.size() && looked < 3 && !json_lines) {
      std::string_view line;
      pos = next_line(pos, line);
      line = detail::trim(line);
      if (line.empty()) continue;
      ++looked;
      if (line.front() != '{' && line.front() != '[') continue;
      error e;
      const boost::json::value* v = st.parse_text(line, e);
      json_lines = v && (v->is_object() || v->is_array());
      st.reset();
    }
  }
  if (!json_lines) {
    ++res.documents;
    res.diagnostics.push_back(
        {detail::line_of(input, err_offset), std::nullopt, {}, std::move(whole_err)});
    return;
  }
  std::size_t pos = 0;
  std::size_t line_no = 0;
  while (pos < input.size()) {
    std::string_view line;
    pos = next_line(pos, line);
    ++line_no;
    line = detail::trim(line);
    if (line.empty()) continue;
    ++res.documents;
    error e;
    const boost::json::value* v = st.parse_text(line, e);
    if (!v) {
      res.diagnostics.push_back({line_no, std::nullopt, {}, std::move(e)});
    } else {
      detail::run_document(st, *v, line, nullptr, res, line_no, std::nullopt);
    }
    st.reset();
  }
}

[[nodiscard]] inline batch_result parse_batch(std::string_view input,
                                              const parse_options& opt = {}) {
  batch_result res;
  parse_batch(input, res, opt);
  return res;
}

/// Parses one document of any shape into its events. A document that is not an event at all (an
/// SNS SubscriptionConfirmation, SES's AmazonSnsSubscriptionSucceeded) gives an empty vector.
/// Any rejected part fails the whole document; use parse_batch to keep the good parts.
[[nodiscard]] inline result<std::vector<event>> parse_document(std::string_view json,
                                                               const parse_options& opt = {}) {
  detail::parser_state st(opt);
  error err;
  const boost::json::value* v = st.parse_text(json, err);
  if (!v) return err;
  batch_result res;
  detail::run_document(st, *v, detail::trim(json), nullptr, res, 1, std::nullopt);
  if (!res.diagnostics.empty()) {
    diagnostic& d = res.diagnostics.front();
    return error{d.err.code,
                 d.path.empty() ? std::move(d.err.message) : d.path + ": " + d.err.message};
  }
  return std::move(res.events);
}

/// Parses an already parsed document (the server parses the SNS envelope first).
[[nodiscard]] inline result<std::vector<event>> parse_value(const boost::json::value& v,
                                                            const parse_options& opt = {}) {
  detail::parser_state st(opt);
  batch_result res;
  detail::run_document(st, v, {}, &v, res, 1, std::nullopt);
  if (!res.diagnostics.empty()) {
    diagnostic& d = res.diagnostics.front();
    return error{d.err.code,
                 d.path.empty() ? std::move(d.err.message) : d.path + ": " + d.err.message};
  }
  return std::move(res.events);
}

/// The SNS envelope of an HTTP(S) delivery: what the endpoint needs to confirm a subscription and
/// to verify the signature before it trusts the Message.
[[nodiscard]] inline result<sns_envelope> parse_sns_envelope(std::string_view json,
                                                             const parse_options& opt = {}) {
  detail::parser_state st(opt);
  error err;
  const boost::json::value* v = st.parse_text(json, err);
  if (!v) return err;
  const auto* o = v->if_object();
  if (!o) return error{errc::not_an_object, "an SNS envelope must be a JSON object"};
  using detail::get_string;
  using detail::string_or_empty;
  const auto type = get_string(*o, "Type");
  if (!type) return error{errc::missing_field, "Type: expected a string"};
  if (*type != "Notification" && *type != "SubscriptionConfirmation" &&
      *type != "UnsubscribeConfirmation")
    return error{errc::bad_value,
                 "Type: not an SNS message type: \"" + std::string(type->substr(0, 40)) + "\""};
  sns_envelope e;
  e.type = std::string(*type);
  const auto message_id = get_string(*o, "MessageId");
  if (!message_id) return error{errc::missing_field, "MessageId: expected a string"};
  e.message_id = std::string(*message_id);
  const auto topic = get_string(*o, "TopicArn");
  if (!topic) return error{errc::missing_field, "TopicArn: expected a string"};
  e.topic_arn = std::string(*topic);
  const auto message = get_string(*o, "Message");
  if (!message) return error{errc::missing_field, "Message: expected a string"};
  e.message = std::string(*message);
  if (auto s = get_string(*o, "Subject")) e.subject = std::string(*s);
  e.timestamp = std::string(string_or_empty(*o, "Timestamp"));
  e.signature_version = std::string(string_or_empty(*o, "SignatureVersion"));
  e.signature = std::string(string_or_empty(*o, "Signature"));
  e.signing_cert_url =
      std::string(get_string(*o, "SigningCertURL").value_or(string_or_empty(*o, "SigningCertUrl")));
  e.subscribe_url = std::string(string_or_empty(*o, "SubscribeURL"));
  e.unsubscribe_url =
      std::string(get_string(*o, "UnsubscribeURL").value_or(string_or_empty(*o, "UnsubscribeUrl")));
  e.token = std::string(string_or_empty(*o, "Token"));
  if (e.type == "SubscriptionConfirmation" && e.subscribe_url.empty())
    return error{errc::missing_field, "SubscribeURL: a SubscriptionConfirmation must carry one"};
  e.unsigned_event_field = std::string(detail::event_field_in(*o));
  return e;
}

/// The events of an SNS Notification whose signature the caller has checked: only `e.message` —
/// the bytes the signature covers — is parsed, as the document SNS carried, with e.message_id as
/// every event's source.sns_message_id and "sns" as its shape. Other message types give no events
/// (counted as skipped). Errors name their place as "Message.<path>".
[[nodiscard]] inline batch_result parse_sns_message(const sns_envelope& e,
                                                    const parse_options& opt = {}) {
  batch_result res;
  res.documents = 1;
  if (e.type != "Notification") {
    ++res.skipped;
    return res;
  }
  detail::parser_state st(opt);
  error err;
  const boost::json::value* v = st.parse_text(e.message, err);
  if (!v) {
    res.diagnostics.push_back({1, std::nullopt, "Message", std::move(err)});
    return res;
  }
  detail::carrier car;
  car.shape = "sns";
  car.sns_message_id = e.message_id;
  detail::run_document(st, *v, detail::trim(e.message), nullptr, res, 1, std::nullopt, car,
                       "Message");
  return res;
}

}  // namespace sesami
