#pragma once
// The normalized event as JSON — the contract shared by the CLI, the HTTP API, the store and the
// wasm package (docs/events.md). Two writers with byte-identical output:
//   to_json(e)              a boost::json::object, for callers that build larger documents
//   append_json(e, out)     straight into a string, for JSON Lines at full speed
// and the inverse, event_from_json, for the store and the wasm package.
// Keys are always written in the same order, so native and wasm outputs compare byte for byte.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <sesami/detail/iso8601.hpp>
#include <sesami/detail/json_access.hpp>
#include <sesami/error.hpp>
#include <sesami/event.hpp>
#include <sesami/identity.hpp>

namespace sesami {

namespace detail {
inline boost::json::object tags_to_json(const tag_map& tags) {
  boost::json::object o;
  o.reserve(tags.size());
  for (const auto& [name, values] : tags) {
    boost::json::array a;
    a.reserve(values.size());
    for (const auto& v : values) a.emplace_back(v);
    o.emplace(name, std::move(a));
  }
  return o;
}
inline boost::json::value time_or_null(std::int64_t ms) {
  if (ms == 0) return nullptr;
  return boost::json::string(format_iso8601(ms));
}
/// Topic preferences are kept as JSON text; written back as JSON when they parse, else as text.
inline boost::json::value json_text_value(const std::string& text) {
  if (text.empty()) return nullptr;
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(text, ec);
  if (ec) return boost::json::string(text);
  return v;
}
constexpr std::string_view details_key(event_type t) noexcept {
  switch (t) {
    case event_type::bounce:
      return "bounce";
    case event_type::complaint:
      return "complaint";
    case event_type::delivery:
      return "delivery";
    case event_type::open:
      return "open";
    case event_type::click:
      return "click";
    case event_type::delivery_delay:
      return "delay";
    case event_type::reject:
      return "reject";
    case event_type::rendering_failure:
      return "failure";
    case event_type::subscription:
      return "subscription";
    default:
      return {};
  }
}

struct details_writer {
  boost::json::object& o;
  void operator()(const std::monostate&) const {}
  void operator()(const bounce_info& b) const {
    o["bounce"] = {{"type", b.type},
                   {"subType", b.sub_type},
                   {"class", to_string(b.cls)},
                   {"diagnosticCode", b.diagnostic_code},
                   {"status", b.status},
                   {"action", b.action},
                   {"reportingMTA", b.reporting_mta},
                   {"feedbackId", b.feedback_id}};
  }
  void operator()(const complaint_info& c) const {
    o["complaint"] = {{"feedbackType", c.feedback_type},
                      {"subType", c.sub_type},
                      {"userAgent", c.user_agent},
                      {"feedbackId", c.feedback_id}};
  }
  void operator()(const delivery_info& d) const {
    o["delivery"] = {{"smtpResponse", d.smtp_response},
                     {"processingTimeMillis", d.processing_time_millis},
                     {"reportingMTA", d.reporting_mta},
                     {"remoteMtaIp", d.remote_mta_ip}};
  }
  void operator()(const open_info& x) const {
    o["open"] = {{"ipAddress", x.ip_address},
                 {"userAgent", x.user_agent},
                 {"machine", x.machine},
                 {"machineReason", x.machine_reason}};
  }
  void operator()(const click_info& c) const {
    boost::json::object obj;
    obj["link"] = c.link;
    obj["ipAddress"] = c.ip_address;
    obj["userAgent"] = c.user_agent;
    obj["linkTags"] = tags_to_json(c.link_tags);
    obj["machine"] = c.machine;
    obj["machineReason"] = c.machine_reason;
    o["click"] = std::move(obj);
  }
  void operator()(const delay_info& d) const {
    boost::json::object obj;
    obj["type"] = d.type;
    obj["expirationTime"] = time_or_null(d.expiration_time);
    obj["status"] = d.status;
    obj["diagnosticCode"] = d.diagnostic_code;
    obj["reportingMTA"] = d.reporting_mta;
    o["delay"] = std::move(obj);
  }
  void operator()(const reject_info& r) const { o["reject"] = {{"reason", r.reason}}; }
  void operator()(const failure_info& f) const {
    o["failure"] = {{"templateName", f.template_name}, {"errorMessage", f.error_message}};
  }
  void operator()(const subscription_info& s) const {
    boost::json::object obj;
    obj["contactList"] = s.contact_list;
    obj["source"] = s.source;
    obj["newTopicPreferences"] = json_text_value(s.new_topic_preferences);
    obj["oldTopicPreferences"] = json_text_value(s.old_topic_preferences);
    o["subscription"] = std::move(obj);
  }
};

// ---- direct writer: must produce exactly what boost::json::serialize(to_json(e)) produces ----
/// The characters of a JSON string literal, without its quotes.
inline void append_json_escaped(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  std::size_t run = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += "\\u00";
        out += hex[c >> 4];
        out += hex[c & 15];
    }
  }
  out.append(s.data() + run, s.size() - run);
}
inline void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  append_json_escaped(out, s);
  out += '"';
}
class object_writer {
 public:
  explicit object_writer(std::string& out) : out_(out) { out_ += '{'; }
  void key(std::string_view k) {
    if (!first_) out_ += ',';
    first_ = false;
    append_json_string(out_, k);
    out_ += ':';
  }
  void str(std::string_view k, std::string_view v) {
    key(k);
    append_json_string(out_, v);
  }
  void raw(std::string_view k, std::string_view v) {
    key(k);
    out_ += v;
  }
  void boolean(std::string_view k, bool v) { raw(k, v ? "true" : "false"); }
  void integer(std::string_view k, std::int64_t v) { raw(k, std::to_string(v)); }
  void time(std::string_view k, std::int64_t ms) {
    key(k);
    char buf[26];
    buf[0] = '"';
    format_iso8601(ms, buf + 1);
    buf[25] = '"';
    out_.append(buf, 26);
  }
  void time_or_null(std::string_view k, std::int64_t ms) {
    if (ms == 0)
      raw(k, "null");
    else
      time(k, ms);
  }
  void close() { out_ += '}'; }

 private:
  std::string& out_;
  bool first_ = true;
};
inline void append_tags(std::string& out, const tag_map& tags) {
  object_writer w(out);
  for (const auto& [name, values] : tags) {
    w.key(name);
    out += '[';
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (i) out += ',';
      append_json_string(out, values[i]);
    }
    out += ']';
  }
  w.close();
}
}  // namespace detail

/// The normalized event as a JSON object (field order as in docs/events.md).
inline boost::json::object to_json(const event& e) {
  boost::json::object o;
  o.reserve(16);
  o["id"] = event_id(e);
  o["messageId"] = e.message_id;
  o["type"] = to_string(e.type);
  if (e.recipient) {
    o["recipient"] = *e.recipient;
  } else {
    o["recipient"] = nullptr;
    boost::json::array d;
    for (const auto& s : e.destinations) d.emplace_back(s);
    o["destinations"] = std::move(d);
  }
  o["timestamp"] = detail::format_iso8601(e.timestamp);
  o["sentAt"] = detail::time_or_null(e.sent_at);
  o["sender"] = e.sender;
  o["subject"] = e.subject;
  o["tags"] = detail::tags_to_json(e.tags);
  o["configurationSet"] = e.configuration_set;
  boost::json::object src;
  src["shape"] = e.source.shape;
  if (e.source.sns_message_id.empty())
    src["snsMessageId"] = nullptr;
  else
    src["snsMessageId"] = e.source.sns_message_id;
  o["source"] = std::move(src);
  std::visit(detail::details_writer{o}, e.details);
  if (e.type == event_type::unknown) o["raw"] = e.raw;
  return o;
}

/// Appends the event's JSON (no newline) to `out`; identical to serialize(to_json(e)).
inline void append_json(const event& e, std::string& out) {
  detail::object_writer w(out);
  const std::string id = event_id(e);
  w.str("id", id);
  w.str("messageId", e.message_id);
  w.str("type", to_string(e.type));
  if (e.recipient) {
    w.str("recipient", *e.recipient);
  } else {
    w.raw("recipient", "null");
    w.key("destinations");
    out += '[';
    for (std::size_t i = 0; i < e.destinations.size(); ++i) {
      if (i) out += ',';
      detail::append_json_string(out, e.destinations[i]);
    }
    out += ']';
  }
  w.time("timestamp", e.timestamp);
  w.time_or_null("sentAt", e.sent_at);
  w.str("sender", e.sender);
  w.str("subject", e.subject);
  w.key("tags");
  detail::append_tags(out, e.tags);
  w.str("configurationSet", e.configuration_set);
  w.key("source");
  {
    detail::object_writer s(out);
    s.str("shape", e.source.shape);
    if (e.source.sns_message_id.empty())
      s.raw("snsMessageId", "null");
    else
      s.str("snsMessageId", e.source.sns_message_id);
    s.close();
  }
  if (const auto* b = e.get<bounce_info>()) {
    w.key("bounce");
    detail::object_writer x(out);
    x.str("type", b->type);
    x.str("subType", b->sub_type);
    x.str("class", to_string(b->cls));
    x.str("diagnosticCode", b->diagnostic_code);
    x.str("status", b->status);
    x.str("action", b->action);
    x.str("reportingMTA", b->reporting_mta);
    x.str("feedbackId", b->feedback_id);
    x.close();
  } else if (const auto* c = e.get<complaint_info>()) {
    w.key("complaint");
    detail::object_writer x(out);
    x.str("feedbackType", c->feedback_type);
    x.str("subType", c->sub_type);
    x.str("userAgent", c->user_agent);
    x.str("feedbackId", c->feedback_id);
    x.close();
  } else if (const auto* d = e.get<delivery_info>()) {
    w.key("delivery");
    detail::object_writer x(out);
    x.str("smtpResponse", d->smtp_response);
    x.integer("processingTimeMillis", d->processing_time_millis);
    x.str("reportingMTA", d->reporting_mta);
    x.str("remoteMtaIp", d->remote_mta_ip);
    x.close();
  } else if (const auto* op = e.get<open_info>()) {
    w.key("open");
    detail::object_writer x(out);
    x.str("ipAddress", op->ip_address);
    x.str("userAgent", op->user_agent);
    x.boolean("machine", op->machine);
    x.str("machineReason", op->machine_reason);
    x.close();
  } else if (const auto* cl = e.get<click_info>()) {
    w.key("click");
    detail::object_writer x(out);
    x.str("link", cl->link);
    x.str("ipAddress", cl->ip_address);
    x.str("userAgent", cl->user_agent);
    x.key("linkTags");
    detail::append_tags(out, cl->link_tags);
    x.boolean("machine", cl->machine);
    x.str("machineReason", cl->machine_reason);
    x.close();
  } else if (const auto* dl = e.get<delay_info>()) {
    w.key("delay");
    detail::object_writer x(out);
    x.str("type", dl->type);
    x.time_or_null("expirationTime", dl->expiration_time);
    x.str("status", dl->status);
    x.str("diagnosticCode", dl->diagnostic_code);
    x.str("reportingMTA", dl->reporting_mta);
    x.close();
  } else if (const auto* r = e.get<reject_info>()) {
    w.key("reject");
    detail::object_writer x(out);
    x.str("reason", r->reason);
    x.close();
  } else if (const auto* f = e.get<failure_info>()) {
    w.key("failure");
    detail::object_writer x(out);
    x.str("templateName", f->template_name);
    x.str("errorMessage", f->error_message);
    x.close();
  } else if (const auto* s = e.get<subscription_info>()) {
    // Rare, and the preferences are arbitrary JSON: let Boost.JSON write them.
    w.key("subscription");
    boost::json::object tmp;
    detail::details_writer{tmp}(*s);
    out += boost::json::serialize(tmp["subscription"]);
  }
  if (e.type == event_type::unknown) w.str("raw", e.raw);
  w.close();
}

/// One event as a string of JSON (no newline).
inline std::string to_json_string(const event& e) {
  std::string out;
  out.reserve(512);
  append_json(e, out);
  return out;
}

namespace detail {
struct json_reader {
  const boost::json::object& o;
  std::string_view where;
  error* err;
  bool ok = true;

  void fail(errc c, std::string_view key, std::string_view what) {
    if (!ok) return;
    ok = false;
    *err = {c, std::string(where) + (where.empty() ? "" : ".") + std::string(key) + ": " +
                   std::string(what)};
  }
  std::string str(std::string_view key) {
    const auto* v = o.if_contains(key);
    if (!v || v->is_null()) return {};
    if (const auto* s = v->if_string()) return std::string(to_sv(*s));
    fail(errc::wrong_type, key, "expected a string");
    return {};
  }
  std::int64_t time(std::string_view key, bool required) {
    const auto* v = o.if_contains(key);
    if (!v || v->is_null()) {
      if (required) fail(errc::missing_field, key, "expected an ISO 8601 timestamp");
      return 0;
    }
    const auto* s = v->if_string();
    if (!s) {
      fail(errc::wrong_type, key, "expected a string");
      return 0;
    }
    auto ms = parse_iso8601(to_sv(*s));
    if (!ms || *ms < 0 || *ms >= 253402300800000)
      fail(errc::bad_timestamp, key, "not ISO 8601 between 1970 and 9999");
    return ms.value_or(0);
  }
  bool boolean(std::string_view key) {
    const auto* v = o.if_contains(key);
    if (!v || v->is_null()) return false;
    if (const bool* b = v->if_bool()) return *b;
    fail(errc::wrong_type, key, "expected a boolean");
    return false;
  }
  std::int64_t integer(std::string_view key) {
    const auto* v = o.if_contains(key);
    if (!v || v->is_null()) return 0;
    auto i = get_int64(o, key);
    if (!i) fail(errc::wrong_type, key, "expected an integer");
    return i.value_or(0);
  }
  tag_map tags(std::string_view key) {
    const auto* v = o.if_contains(key);
    if (!v || v->is_null()) return {};
    const auto* obj = v->if_object();
    if (!obj) {
      fail(errc::wrong_type, key, "expected an object of string arrays");
      return {};
    }
    tag_map t;
    for (const auto& kv : *obj) {
      std::vector<std::string> values;
      const auto* arr = kv.value().if_array();
      if (!arr) {
        fail(errc::wrong_type, key, "expected an object of string arrays");
        return {};
      }
      for (const auto& x : *arr) {
        const auto* s = x.if_string();
        if (!s) {
          fail(errc::wrong_type, key, "expected an object of string arrays");
          return {};
        }
        values.emplace_back(to_sv(*s));
      }
      t.emplace_back(std::string(kv.key()), std::move(values));
    }
    return t;
  }
  std::string json_text(std::string_view key) {
    const auto* v = o.if_contains(key);
    if (!v || v->is_null()) return {};
    if (const auto* s = v->if_string()) return std::string(to_sv(*s));
    return boost::json::serialize(*v);
  }
};
}  // namespace detail

/// The inverse of to_json: reads a normalized event back (the "id" field is ignored; it is
/// recomputed from the other fields).
[[nodiscard]] inline result<event> event_from_json(const boost::json::object& obj) {
  const auto* o = &obj;
  error err;
  detail::json_reader r{*o, "", &err};
  event e;
  e.message_id = r.str("messageId");
  const auto type_name = detail::get_string(*o, "type");
  if (!type_name) return error{errc::missing_field, "type: expected a string"};
  const auto type = parse_event_type(*type_name);
  if (!type)
    return error{errc::bad_value,
                 "type: unknown event type \"" + std::string(type_name->substr(0, 40)) + "\""};
  e.type = *type;
  if (const auto* rc = o->if_contains("recipient"); rc && !rc->is_null()) {
    if (const auto* s = rc->if_string())
      e.recipient = std::string(detail::to_sv(*s));
    else
      return error{errc::wrong_type, "recipient: expected a string or null"};
  } else if (const auto* d = detail::get_array(*o, "destinations")) {
    for (const auto& x : *d) {
      const auto* s = x.if_string();
      if (!s) return error{errc::wrong_type, "destinations: expected an array of strings"};
      e.destinations.emplace_back(detail::to_sv(*s));
    }
  }
  e.timestamp = r.time("timestamp", true);
  e.sent_at = r.time("sentAt", false);
  e.sender = r.str("sender");
  e.subject = r.str("subject");
  e.tags = r.tags("tags");
  e.configuration_set = r.str("configurationSet");
  if (const auto* src = detail::get_object(*o, "source")) {
    detail::json_reader s{*src, "source", &err};
    e.source.shape = s.str("shape");
    e.source.sns_message_id = s.str("snsMessageId");
    if (!s.ok) return err;
  }
  if (e.type == event_type::unknown) e.raw = r.str("raw");
  if (!r.ok) return err;

  const std::string_view key = detail::details_key(e.type);
  if (key.empty()) return e;
  const auto* d = detail::get_object(*o, key);
  if (!d) {
    if (o->contains(key)) return error{errc::wrong_type, std::string(key) + ": expected an object"};
    // Send has no details; the others may legitimately have been written without them.
    return e;
  }
  detail::json_reader x{*d, key, &err};
  switch (e.type) {
    case event_type::bounce: {
      bounce_info b;
      b.type = x.str("type");
      b.sub_type = x.str("subType");
      const std::string cls = x.str("class");
      b.cls = bounce_class::none;
      for (std::size_t i = 0; i < std::size(detail::bounce_class_names); ++i)
        if (detail::bounce_class_names[i] == cls) b.cls = static_cast<bounce_class>(i);
      b.diagnostic_code = x.str("diagnosticCode");
      b.status = x.str("status");
      b.action = x.str("action");
      b.reporting_mta = x.str("reportingMTA");
      b.feedback_id = x.str("feedbackId");
      e.details = std::move(b);
      break;
    }
    case event_type::complaint:
      e.details = complaint_info{x.str("feedbackType"), x.str("subType"), x.str("userAgent"),
                                 x.str("feedbackId")};
      break;
    case event_type::delivery: {
      delivery_info di;
      di.smtp_response = x.str("smtpResponse");
      di.processing_time_millis = x.integer("processingTimeMillis");
      di.reporting_mta = x.str("reportingMTA");
      di.remote_mta_ip = x.str("remoteMtaIp");
      e.details = std::move(di);
      break;
    }
    case event_type::open: {
      open_info op;
      op.ip_address = x.str("ipAddress");
      op.user_agent = x.str("userAgent");
      op.machine = x.boolean("machine");
      op.machine_reason = x.str("machineReason");
      e.details = std::move(op);
      break;
    }
    case event_type::click: {
      click_info c;
      c.link = x.str("link");
      c.ip_address = x.str("ipAddress");
      c.user_agent = x.str("userAgent");
      c.link_tags = x.tags("linkTags");
      c.machine = x.boolean("machine");
      c.machine_reason = x.str("machineReason");
      e.details = std::move(c);
      break;
    }
    case event_type::delivery_delay: {
      delay_info dl;
      dl.type = x.str("type");
      dl.expiration_time = x.time("expirationTime", false);
      dl.status = x.str("status");
      dl.diagnostic_code = x.str("diagnosticCode");
      dl.reporting_mta = x.str("reportingMTA");
      e.details = std::move(dl);
      break;
    }
    case event_type::reject:
      e.details = reject_info{x.str("reason")};
      break;
    case event_type::rendering_failure:
      e.details = failure_info{x.str("templateName"), x.str("errorMessage")};
      break;
    case event_type::subscription: {
      subscription_info s;
      s.contact_list = x.str("contactList");
      s.source = x.str("source");
      s.new_topic_preferences = x.json_text("newTopicPreferences");
      s.old_topic_preferences = x.json_text("oldTopicPreferences");
      e.details = std::move(s);
      break;
    }
    default:
      break;
  }
  if (!x.ok) return err;
  return e;
}

[[nodiscard]] inline result<event> event_from_json(const boost::json::value& v) {
  const auto* o = v.if_object();
  if (!o) return error{errc::not_an_object, "an event must be a JSON object"};
  return event_from_json(*o);
}

[[nodiscard]] inline result<event> event_from_json(std::string_view text) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(text, ec);
  if (ec) return error{errc::bad_json, ec.message()};
  return event_from_json(v);
}
// Text, not a JSON string value: without these a literal would convert to either overload.
[[nodiscard]] inline result<event> event_from_json(const char* text) {
  return event_from_json(std::string_view(text));
}
[[nodiscard]] inline result<event> event_from_json(const std::string& text) {
  return event_from_json(std::string_view(text));
}

}  // namespace sesami
