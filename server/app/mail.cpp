// The send use case (see mail.hpp for the story in order).
//
// Decisions worth knowing:
// - List-Unsubscribe: a link names one address, so the headers go on messages with exactly one
//   recipient (after suppression) — bulk destinations and ordinary newsletters. A message to
//   several recipients (a receipt cc'd to accounting) stays one SES message, one message id,
//   without the headers: splitting it would change what the recipients see (who else got it) and
//   give the caller several message ids for one SendEmail.
// - Tokens: base64url(workspace NUL address) "." base64url(HMAC-SHA256(secret, "unsubscribe" NUL
//   workspace NUL address)). No expiry: an unsubscribe link must keep working as long as the mail
//   sits in an inbox. The secret is generated at first start and kept in the database, sealed
//   with the server key (--secret-key-file); one stored in plaintext by an older version is
//   sealed at start, keeping its value so that links already sent keep working.
// - Idempotency-Key: claimed before sending. The answer is stored whatever it is, except when
//   certainly nothing was sent — throttled to the end, or a failure before the transport call
//   (the key is released, so a later retry may send). A request that died mid-send leaves its key
//   "in progress": retries get a 409 rather than a second send (at most once).
// - Bulk crash boundary: a batch is marked in flight (committed) before the transport call and
//   done after it. A batch found in flight by the next worker (the previous one died during the
//   call) is NOT sent again: its destinations are counted failed with "mail.outcome_unknown".
//   At most once per destination — a duplicate mail is worse than one the caller can resend.
#include "mail.hpp"

#include "base64.hpp"

#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <stdexcept>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <sesami/ascii.hpp>
#include <sesami/detail/iso8601.hpp>

#include "import.hpp"
#include "suppression.hpp"
#include "templates.hpp"
#include "topic_gate.hpp"

namespace sesami::app {
namespace json = boost::json;
namespace {

constexpr std::size_t max_recipients = 50;            // SES: 50 per message
constexpr std::size_t max_content_bytes = 10u << 20;  // decoded attachments / raw MIME
constexpr std::size_t max_template_data = 30000;      // SES TemplateData limit
constexpr std::size_t max_bulk_destinations = 10000;  // per job (the body limit binds first)
constexpr std::size_t bulk_batch = 50;                // SES SendBulkEmail: 50 per call

failure bad(std::string field, std::string message) {
  return {"validation." + field, field + ": " + message};
}

bool has_line_break(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

/// SES message tag names and values: ASCII letters, digits, '_' and '-', 1..256 characters.
bool tag_text(std::string_view s) {
  if (s.empty() || s.size() > 256) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

/// The workspace id as a tag value (ids are slugs; anything else becomes '-').
std::string tag_safe(std::string_view s) {
  std::string out(s.substr(0, 256));
  for (auto& c : out)
    if (!tag_text(std::string_view(&c, 1))) c = '-';
  return out.empty() ? "-" : out;
}

std::string hex(std::string_view raw) {
  static constexpr char h[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : raw) out += h[c >> 4], out += h[c & 15];
  return out;
}

std::string error_body(std::string_view code, std::string_view message, json::object extra = {}) {
  json::object e{{"code", code}, {"message", message}};
  for (auto& [k, v] : extra) e[k] = std::move(v);
  return json::serialize(json::object{{"error", std::move(e)}});
}
mail_reply error_reply(const failure& f) { return {f.code, error_body(f.code, f.message)}; }

// ---- request parsing
// ------------------------------------------------------------------------------
const json::value* field(const json::object& o, std::string_view k) { return o.if_contains(k); }

outcome<std::optional<std::string>> opt_string(const json::object& o, std::string_view k,
                                               bool header = false, std::size_t max = 100000) {
  const auto* v = field(o, k);
  if (!v || v->is_null()) return std::optional<std::string>{};
  if (!v->is_string()) return bad(std::string(k), "a string");
  std::string_view s = v->get_string();
  if (s.size() > max) return bad(std::string(k), "longer than " + std::to_string(max));
  if (header && has_line_break(s))
    return bad(std::string(k), "line breaks are not allowed in headers");
  return std::optional<std::string>{std::string(s)};
}

/// "a@b.example" or "Name <a@b.example>": the address part plausible, no line breaks.
bool valid_mailbox(std::string_view s) {
  if (s.empty() || s.size() > 320 + 200 || has_line_break(s)) return false;
  const auto lt = s.rfind('<');
  if (lt != std::string_view::npos) {
    if (s.back() != '>') return false;
    return plausible_address(s.substr(lt + 1, s.size() - lt - 2));
  }
  return plausible_address(s);
}
std::string address_of(std::string_view s) {
  const auto lt = s.rfind('<');
  return ascii_lower(lt == std::string_view::npos ? s : s.substr(lt + 1, s.size() - lt - 2));
}

outcome<std::vector<std::string>> address_list(const json::object& o, std::string_view k) {
  std::vector<std::string> out;
  const auto* v = field(o, k);
  if (!v || v->is_null()) return out;
  if (!v->is_array()) return bad(std::string(k), "an array of email addresses");
  for (const auto& a : v->get_array()) {
    if (!a.is_string() || !valid_mailbox(a.get_string()))
      return bad(std::string(k), "every entry an email address (no line breaks)");
    out.emplace_back(a.get_string());
  }
  return out;
}

outcome<std::vector<mail_tag>> tag_list(const json::object& o, std::string_view k) {
  std::vector<mail_tag> out;
  const auto* v = field(o, k);
  if (!v || v->is_null()) return out;
  if (!v->is_object() || v->get_object().size() > 40)
    return bad(std::string(k), "an object of at most 40 name: value strings");
  for (const auto& [name, value] : v->get_object()) {
    if (!tag_text(name) || !value.is_string() || !tag_text(value.get_string()))
      return bad(std::string(k),
                 "names and values of 1-256 ASCII letters, digits, '_' or '-' (SES tag rules)");
    if (std::string_view(name).starts_with("sesami-"))
      return bad(std::string(k), "names starting with sesami- are SESami's own");
    out.push_back({std::string(name), std::string(value.get_string())});
  }
  return out;
}

// "template": {"name", "data"}, or "template": "name" with "templateData": {...}.
outcome<std::optional<template_content>> template_field(const json::object& o) {
  const auto* v = field(o, "template");
  const auto* td = field(o, "templateData");
  if (!v || v->is_null()) {
    if (td && !td->is_null()) return bad("templateData", "only with \"template\": \"name\"");
    return std::optional<template_content>{};
  }
  const json::value* name = nullptr;
  const json::value* d = nullptr;
  if (v->is_string()) {
    name = v, d = td;
  } else if (const auto* t = v->if_object()) {
    if (td && !td->is_null())
      return bad("templateData", "give the data in template.data or with \"template\": \"name\"");
    name = t->if_contains("name"), d = t->if_contains("data");
  } else {
    return bad("template", "a template name, or an object {\"name\", \"data\"}");
  }
  if (!name || !name->is_string() || !valid_template_name(name->get_string()))
    return bad("template", "name: 1-64 letters, digits, '_' or '-'");
  template_content out;
  out.name = name->get_string();
  if (d && !d->is_null()) {
    if (!d->is_object()) return bad("template", "data: an object");
    out.data = json::serialize(*d);
  } else {
    out.data = "{}";
  }
  if (out.data.size() > max_template_data)
    return bad("template", "data larger than SES's 30 000 characters");
  return std::optional<template_content>{std::move(out)};
}

outcome<std::optional<std::string>> correlation_field(const json::object& o) {
  auto c = opt_string(o, "correlationId");
  if (!c) return c.error();
  if (*c && !tag_text(**c))
    return bad("correlationId",
               "1-256 ASCII letters, digits, '_' or '-' (it travels as an SES message tag)");
  return c;
}

outcome<std::optional<std::string>> topic_field(const json::object& o) {
  auto t = opt_string(o, "topic", true, 64);
  if (!t) return t.error();
  if (*t && !valid_topic_name(**t))
    return bad("topic", "a topic name (1-64 letters, digits, '_' or '-')");
  return t;
}

struct send_request {
  outgoing_mail mail;
  std::optional<std::string> correlation_id;
  std::optional<std::string> configuration_set;
  bool list_unsubscribe = true;
  std::optional<std::string> topic;  // issue #20: none is transactional mail
  std::string subject;               // for the attempt log
};

outcome<send_request> parse_send(const json::object& o) {
  static constexpr std::string_view known[] = {"from",
                                               "to",
                                               "cc",
                                               "bcc",
                                               "replyTo",
                                               "subject",
                                               "text",
                                               "html",
                                               "attachments",
                                               "raw",
                                               "template",
                                               "templateData",
                                               "tags",
                                               "correlationId",
                                               "configurationSet",
                                               "listUnsubscribe",
                                               "topic"};
  for (const auto& kv : o)
    if (std::find(std::begin(known), std::end(known), kv.key()) == std::end(known))
      return bad("field", "unknown field '" + std::string(kv.key()) + "'");
  send_request r;
  auto from = opt_string(o, "from", true, 520);
  if (!from) return from.error();
  if (!*from || !valid_mailbox(**from)) return bad("from", "an email address");
  r.mail.from = **from;
  for (auto [k, dst] : {std::pair{"to", &r.mail.to}, std::pair{"cc", &r.mail.cc},
                        std::pair{"bcc", &r.mail.bcc}, std::pair{"replyTo", &r.mail.reply_to}}) {
    auto l = address_list(o, k);
    if (!l) return l.error();
    *dst = std::move(*l);
  }
  const std::size_t n = r.mail.to.size() + r.mail.cc.size() + r.mail.bcc.size();
  if (n == 0) return bad("to", "at least one recipient in to, cc or bcc");
  if (n > max_recipients) return bad("to", "at most 50 recipients in to, cc and bcc together");

  auto subject = opt_string(o, "subject", true, 998);
  auto text = opt_string(o, "text");
  auto html = opt_string(o, "html");
  auto raw = opt_string(o, "raw", false, max_content_bytes / 3 * 4 + 4);
  auto tmpl = template_field(o);
  for (const auto* x : {&subject, &text, &html, &raw})
    if (!*x) return x->error();
  if (!tmpl) return tmpl.error();
  const bool simple = *subject || *text || *html || field(o, "attachments");
  if (int(simple) + int(raw->has_value()) + int(tmpl->has_value()) != 1)
    return bad("content",
               "exactly one of: subject with text/html (and attachments), raw, template");
  if (simple) {
    simple_content c;
    if (!*subject) return bad("subject", "required with text or html");
    if (!*text && !*html) return bad("text", "text or html is required");
    c.subject = **subject;
    c.text = text->value_or("");
    c.html = html->value_or("");
    std::size_t total = 0;
    if (const auto* a = field(o, "attachments"); a && !a->is_null()) {
      if (!a->is_array() || a->get_array().size() > 20)
        return bad("attachments", "an array of at most 20 attachments");
      for (const auto& item : a->get_array()) {
        const auto* ao = item.if_object();
        if (!ao) return bad("attachments", "each an object");
        mail_attachment m;
        auto fn = opt_string(*ao, "filename", true, 255);
        auto ct = opt_string(*ao, "contentType", true, 255);
        auto content = opt_string(*ao, "content", false, max_content_bytes / 3 * 4 + 4);
        auto disp = opt_string(*ao, "disposition", true, 20);
        auto cid = opt_string(*ao, "contentId", true, 255);
        for (const auto* x : {&fn, &ct, &content, &disp, &cid})
          if (!*x) return failure{"validation.attachments", "attachments: " + x->error().message};
        if (!*fn || fn->value().empty()) return bad("attachments", "filename is required");
        if (!*content) return bad("attachments", "content (base64) is required");
        auto bytes = base64_decode(**content, true);
        if (!bytes) return bad("attachments", "content is not valid base64");
        total += bytes->size();
        if (total > max_content_bytes) return bad("attachments", "larger than 10 MiB in total");
        m.file_name = **fn;
        m.content_type = ct->value_or("application/octet-stream");
        if (m.content_type.find('/') == std::string::npos)
          return bad("attachments", "contentType: type/subtype");
        m.content = std::move(*bytes);
        const std::string d = ascii_lower(disp->value_or("attachment"));
        if (d != "attachment" && d != "inline")
          return bad("attachments", "disposition: attachment or inline");
        m.disposition = d == "inline" ? "INLINE" : "ATTACHMENT";
        m.content_id = cid->value_or("");
        c.attachments.push_back(std::move(m));
      }
    }
    r.subject = c.subject;
    r.mail.simple = std::move(c);
  } else if (*raw) {
    auto bytes = base64_decode(**raw, true);
    if (!bytes) return bad("raw", "not valid base64");
    if (bytes->size() > max_content_bytes) return bad("raw", "larger than 10 MiB");
    if (bytes->find("\n\n") == std::string::npos && bytes->find("\r\n\r\n") == std::string::npos)
      return bad("raw", "a MIME message: headers, an empty line, the body");
    r.mail.raw = std::move(*bytes);
  } else {
    r.subject = "template " + (*tmpl)->name;
    r.mail.tmpl = std::move(**tmpl);
  }
  auto tags = tag_list(o, "tags");
  if (!tags) return tags.error();
  r.mail.tags = std::move(*tags);
  auto corr = correlation_field(o);
  if (!corr) return corr.error();
  r.correlation_id = std::move(*corr);
  auto cs = opt_string(o, "configurationSet", true, 64);
  if (!cs) return cs.error();
  if (*cs && !tag_text(**cs)) return bad("configurationSet", "letters, digits, '_' or '-'");
  r.configuration_set = std::move(*cs);
  if (const auto* lu = field(o, "listUnsubscribe"); lu && !lu->is_null()) {
    if (!lu->is_bool()) return bad("listUnsubscribe", "true or false");
    r.list_unsubscribe = lu->get_bool();
  }
  auto topic = topic_field(o);
  if (!topic) return topic.error();
  r.topic = std::move(*topic);
  return r;
}

json::array suppressed_json(const std::vector<std::pair<std::string, std::string>>& s) {
  json::array a;
  for (const auto& [addr, reason] : s) a.push_back({{"address", addr}, {"reason", reason}});
  return a;
}

std::string new_id(std::string_view prefix) { return std::string(prefix) + auth::random_token(12); }

failure send_failure(const send_error& e) {
  switch (e.code) {
    case send_errc::throttled:
      return {"mail.throttled", "the sending rate is exceeded and retries ran out: " + e.message};
    case send_errc::unavailable:
      return {"mail.unavailable", "the mail service did not answer: " + e.message};
    case send_errc::rejected:
      return {"mail.rejected", "SES refused this mail: " + e.message};
    case send_errc::not_authorized:
      return {"mail.not_authorized", "SESami may not send with this AWS connection: " + e.message};
    case send_errc::not_connected:
      return {"aws.not_connected", e.message};
    case send_errc::bad_request:
      return {"mail.bad_request", "SES found the request malformed: " + e.message};
    case send_errc::account_paused:
      return {"mail.account_paused", "sending is paused for the AWS account: " + e.message};
    case send_errc::ok:
      break;
  }
  return {"internal", e.message};
}

}  // namespace

// ---- construction
// ---------------------------------------------------------------------------------
namespace {
constexpr std::string_view secret_ad = "mail_secret";  // what the sealed value is, where it lives

// The stored unsubscribe secret, opened; a plaintext one (an older version's) is sealed first.
std::string unsubscribe_secret(store::mail_store& m, const secret_box& box) {
  auto fresh = [&] { return box.seal_text(auth::random_token(32), secret_ad); };
  auto stored = m.server_secret(fresh());  // stored only when there is none yet (first start)
  for (int tries = 0; stored && !secret_box::is_sealed_text(*stored) && tries < 5; ++tries) {
    // Compare and swap: another node sealing it at the same moment wins, and we read theirs.
    auto swapped = m.replace_server_secret(*stored, box.seal_text(*stored, secret_ad));
    if (!swapped)
      throw std::runtime_error("cannot seal the unsubscribe secret: " + swapped.error().message);
    stored = m.server_secret(fresh());
  }
  if (!stored)
    throw std::runtime_error("cannot read the unsubscribe secret: " + stored.error().message);
  auto plain = box.open_text(*stored, secret_ad);
  if (!plain)
    throw std::runtime_error(
        "the unsubscribe secret in the database does not open with this --secret-key-file: the "
        "key file is not the one that sealed it (every node of one database needs the same file)");
  return std::move(*plain);
}
}  // namespace

mailer::mailer(store::store& s, store::mail_store& m, rate_limiter& limiter,
               transport_resolver pick, const secret_box& box, mail_options opt)
    : store_(s), mail_(m), limiter_(limiter), pick_(std::move(pick)), opt_(std::move(opt)) {
  secret_ = unsubscribe_secret(mail_, box);
  owner_ = new_id("w_");
  set_public_url(opt_.public_url);
}

void mailer::set_public_url(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  std::lock_guard lock(mu_);
  opt_.public_url = std::move(url);
}
std::string mailer::public_url() const {
  std::lock_guard lock(mu_);
  return opt_.public_url;
}

mailer::~mailer() { stop(); }

void mailer::start() {
  if (!opt_.bulk_worker || worker_.joinable()) return;
  worker_ = std::thread([this] { bulk_loop(); });
}

void mailer::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

bool mailer::sleep_for(std::chrono::milliseconds d) {
  std::unique_lock lock(mu_);
  return !cv_.wait_for(lock, d, [this] { return stopping_; });
}

bool mailer::take_rate(const transport_choice& c, double n, bool bounded) {
  std::int64_t waited = 0;
  for (;;) {
    const auto wait = limiter_.try_acquire(c.rate_key, c.max_send_rate, n);
    if (wait.count() == 0) return true;
    if (bounded && waited + wait.count() > opt_.rate_wait_max_ms) return false;
    if (!sleep_for(wait)) return false;
    waited += wait.count();
  }
}

// ---- tokens
// ---------------------------------------------------------------------------------------
std::string mailer::token_mac(std::string_view payload, std::string_view domain) const {
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(secret_.data()),
                              secret_.size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(domain.data()),
                                domain.size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(payload.data()),
                                payload.size());
  crypto_auth_hmacsha256_final(&st, mac);
  return std::string(reinterpret_cast<const char*>(mac), sizeof mac);
}

std::string mailer::unsubscribe_url(std::string_view workspace, std::string_view address,
                                    std::string_view topic) const {
  const auto base = public_url();
  if (base.empty()) return {};
  // A topic link's payload has a third part: the MAC covers it, so a link cannot be moved to
  // another topic, nor turned into (or out of) a link that stops every mail.
  std::string payload(workspace);
  payload += '\0';
  payload += ascii_lower(address);
  if (!topic.empty()) payload += '\0', payload += topic;
  return base + "/unsubscribe/" + base64url_encode(payload) + "." +
         base64url_encode(token_mac(payload));
}

outcome<mailer::unsubscribe_target> mailer::check_token(std::string_view token) const {
  const failure refused{"unsubscribe.bad_token",
                        "this unsubscribe link is not valid (altered or not from this server)"};
  if (token.size() > 2000) return refused;
  const auto dot = token.find('.');
  if (dot == std::string_view::npos) return refused;
  auto payload = base64url_decode(token.substr(0, dot));
  auto mac = base64url_decode(token.substr(dot + 1));
  if (!payload || !mac || mac->size() != crypto_auth_hmacsha256_BYTES) return refused;
  const auto expect = token_mac(*payload);
  if (sodium_memcmp(expect.data(), mac->data(), expect.size()) != 0) return refused;
  const auto nul = payload->find('\0');
  if (nul == std::string::npos) return refused;
  const auto nul2 = payload->find('\0', nul + 1);
  if (nul2 == std::string::npos)
    return unsubscribe_target{payload->substr(0, nul), payload->substr(nul + 1), {}};
  return unsubscribe_target{payload->substr(0, nul), payload->substr(nul + 1, nul2 - nul - 1),
                            payload->substr(nul2 + 1)};
}

std::string mailer::form_token(std::string_view token) const {
  return base64url_encode(token_mac(token, std::string_view("preferences-form\0", 17)));
}

bool mailer::check_form_token(std::string_view token, std::string_view form) const {
  const auto expect = form_token(token);
  return form.size() == expect.size() &&
         sodium_memcmp(expect.data(), form.data(), expect.size()) == 0;
}

outcome<mailer::unsubscribe_target> mailer::unsubscribe(std::string_view token) {
  auto t = check_token(token);
  if (!t) return t.error();
  if (!t->topic.empty()) {  // a topic mail's link: that topic only, the rest still arrives
    if (!topics_) return failure{"http.shutting_down", "topics are not available"};
    if (auto r = topics_->choose(t->workspace, t->address, {{t->topic, false}}); !r)
      return r.error();
    return t;
  }
  store::suppression_entry e;
  e.address = t->address;
  e.reason = "unsubscribe";
  e.source = store::suppression_source::manual;
  e.created_at = now_ms();
  if (auto r = store_.add_suppressions(t->workspace, std::span(&e, 1)); !r)
    return from_store(r.error());
  return t;
}

// ---- POST /mail
// -----------------------------------------------------------------------------------
struct mailer::prepared {
  send_request req;
  bool transport_called = false;  // false: certainly nothing sent
};

mail_reply mailer::send(std::string_view workspace, std::string_view body,
                        std::string_view idempotency_key, bool alert) {
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  if (ec) return error_reply({"sesami.bad_json", "invalid JSON: " + ec.message()});
  if (!v.is_object()) return error_reply({"sesami.not_an_object", "expected a JSON object"});
  auto req = parse_send(v.get_object());
  if (!req) return error_reply(req.error());
  if (gate_ && !alert)
    if (auto refused = gate_(workspace, false)) return error_reply(*refused);

  if (!idempotency_key.empty()) {
    if (idempotency_key.size() > 255 || !std::all_of(idempotency_key.begin(), idempotency_key.end(),
                                                     [](char c) { return c > ' ' && c < 0x7f; }))
      return error_reply(
          {"validation.idempotencyKey", "Idempotency-Key: 1-255 visible ASCII characters"});
    std::string digest(crypto_hash_sha256_BYTES, '\0');
    crypto_hash_sha256(reinterpret_cast<unsigned char*>(digest.data()),
                       reinterpret_cast<const unsigned char*>(body.data()), body.size());
    const std::string h = hex(digest);
    auto claimed = mail_.claim_idempotency(workspace, idempotency_key, h, now_ms());
    if (!claimed) return error_reply(from_store(claimed.error()));
    if (!*claimed) {
      auto rec = mail_.find_idempotency(workspace, idempotency_key);
      if (!rec) return error_reply(from_store(rec.error()));
      if (!*rec)  // released between the two calls: the caller may simply retry
        return error_reply({"mail.idempotency_in_progress",
                            "a request with this Idempotency-Key is being processed; retry"});
      if ((*rec)->request_hash != h)
        return error_reply({"mail.idempotency_mismatch",
                            "this Idempotency-Key was used with a different request body"});
      if (!(*rec)->done)
        return error_reply(
            {"mail.idempotency_in_progress",
             "a request with this Idempotency-Key is being processed, or stopped mid-send; "
             "check GET /mail/attempts before sending again under a new key"});
      return {(*rec)->code, (*rec)->response, true, 0};
    }
  }
  prepared p{std::move(*req), false};
  mail_reply r = send_prepared(workspace, p);
  if (!idempotency_key.empty()) {
    // Nothing sent (throttled, or a failure before the transport was called, a busy database
    // say): the key is freed so that a later retry may send. Every other answer is kept.
    const bool unsent = r.code == "mail.throttled" ||
                        (!p.transport_called && !r.code.empty() && r.code != "mail.all_suppressed");
    const auto st = unsent ? mail_.release_idempotency(workspace, idempotency_key)
                           : mail_.finish_idempotency(workspace, idempotency_key, r.code, r.body);
    (void)st;  // the send's outcome stands; the attempt log has it either way
  }
  return r;
}

mail_reply mailer::send_prepared(std::string_view workspace, prepared& p) {
  auto& req = p.req;
  auto choice = pick_(workspace);
  if (!choice) return error_reply(choice.error());
  if (!choice->transport) return error_reply({"internal", "no mail transport configured"});

  // A template SESami keeps (the simulator's): rendered here with SES's rules, and refused as SES
  // would refuse it (unknown name, missing data). Through SES, SES renders its own templates.
  if (req.mail.tmpl && templates_ && choice->transport->name() != "ses") {
    auto r = templates_->render_for_send(workspace, req.mail.tmpl->name, req.mail.tmpl->data);
    if (!r) return error_reply(r.error());
    req.subject = r->subject;
    req.mail.simple =
        simple_content{std::move(r->subject), std::move(r->text), std::move(r->html), {}};
    req.mail.tmpl.reset();
  }

  // Suppression: every recipient, removed and reported.
  std::vector<std::pair<std::string, std::string>> suppressed;
  std::vector<std::string> sent_to;
  for (auto* list : {&req.mail.to, &req.mail.cc, &req.mail.bcc}) {
    std::vector<std::string> keep;
    for (auto& a : *list) {
      const auto addr = address_of(a);
      auto f = store_.find_suppression(workspace, addr);
      if (!f) return error_reply(from_store(f.error()));
      if (*f) {
        suppressed.emplace_back(addr, (*f)->reason);
      } else {
        sent_to.push_back(addr);
        keep.push_back(std::move(a));
      }
    }
    *list = std::move(keep);
  }
  if (req.topic) {  // mail on a topic: only to those subscribed (app/topic_gate.cpp)
    auto gate = apply_topic(topics_, workspace, *req.topic, sent_to, suppressed);
    if (!gate) return error_reply(gate.error());
    for (auto* list : {&req.mail.to, &req.mail.cc, &req.mail.bcc})
      std::erase_if(*list, [&](const std::string& a) {
        return std::find(sent_to.begin(), sent_to.end(), address_of(a)) == sent_to.end();
      });
  }

  store::mail_attempt at;
  at.id = new_id("att_");
  at.workspace = workspace;
  at.created_at = now_ms();
  at.transport = choice->transport->name();
  at.recipients = sent_to;
  at.suppressed = suppressed;
  at.correlation_id = req.correlation_id.value_or("");
  at.subject = req.subject;
  const json::value corr = req.correlation_id ? json::value(*req.correlation_id) : nullptr;

  if (sent_to.empty()) {
    at.status = "suppressed";
    at.error_code = "mail.all_suppressed";
    at.error_message = "every recipient is on the suppression list; nothing was sent";
    if (auto r = mail_.add_attempt(at); !r) return error_reply(from_store(r.error()));
    return {at.error_code, error_body(at.error_code, at.error_message,
                                      {{"suppressed", suppressed_json(suppressed)},
                                       {"attemptId", at.id},
                                       {"correlationId", corr}})};
  }

  auto& m = req.mail;
  m.configuration_set = req.configuration_set.value_or(choice->configuration_set);
  m.tags.push_back({"sesami-workspace", tag_safe(workspace)});
  if (req.correlation_id) m.tags.push_back({"sesami-correlation-id", *req.correlation_id});
  if (req.topic) m.tags.push_back({"sesami-topic", *req.topic});
  std::string unsubscribe_link;
  if (req.list_unsubscribe && !m.raw && sent_to.size() == 1 && !public_url().empty()) {
    unsubscribe_link = unsubscribe_url(workspace, sent_to[0], req.topic.value_or(""));
    m.headers.push_back({"List-Unsubscribe", "<" + unsubscribe_link + ">"});
    m.headers.push_back({"List-Unsubscribe-Post", "List-Unsubscribe=One-Click"});
  }

  at.status = "queued";
  if (auto r = mail_.add_attempt(at); !r) return error_reply(from_store(r.error()));

  // Rate, then the transport with retries of what may succeed later.
  send_result<std::string> sent = send_error{send_errc::throttled, "", "rate limit wait too long"};
  if (take_rate(*choice, 1)) {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    for (int attempt = 1;; ++attempt) {
      p.transport_called = true;
      sent = choice->transport->send(workspace, m);
      if (sent || !sent.error().retryable() || attempt >= opt_.max_tries) break;
      // Exponential backoff with full jitter (AWS's recommendation for throttling).
      const std::int64_t cap =
          std::min(opt_.backoff_max_ms, opt_.backoff_base_ms << std::min(attempt - 1, 20));
      const auto d = std::chrono::milliseconds(
          cap / 2 + static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(cap / 2 + 1)));
      if (!sleep_for(d)) break;
      if (!take_rate(*choice, 1)) break;
    }
  }

  if (!sent) {
    failure f = send_failure(sent.error());
    if (m.tmpl && sent.error().provider_code == "NotFoundException")  // SES has no such template
      f = {"template.not_found", "SES has no template named '" + m.tmpl->name + "'"};
    at.status = "failed";
    at.error_code = f.code;
    at.error_message = f.message;
    (void)mail_.update_attempt(at);
    mail_reply r{f.code, error_body(f.code, f.message,
                                    {{"attemptId", at.id},
                                     {"providerCode", sent.error().provider_code},
                                     {"correlationId", corr}})};
    if (f.code == "mail.throttled" || f.code == "mail.unavailable") r.retry_after_s = 5;
    return r;
  }
  at.status = "sent";
  at.message_id = *sent;
  if (auto r = mail_.update_attempt(at); !r) {
    // Sent, but the log write failed: the answer must still carry the message id.
  }
  json::array to;
  for (const auto& a : sent_to) to.push_back(json::value(a));
  return {"", json::serialize(json::object{
                  {"messageId", *sent},
                  {"transport", at.transport},
                  {"attemptId", at.id},
                  {"sent", std::move(to)},
                  {"suppressed", suppressed_json(suppressed)},
                  {"correlationId", corr},
                  {"listUnsubscribe", unsubscribe_link.empty() ? json::value(nullptr)
                                                               : json::value(unsubscribe_link)}})};
}

// ---- GET /mail/attempts
// ---------------------------------------------------------------------------
outcome<std::string> mailer::attempts(std::string_view workspace, const store::attempt_query& q) {
  auto page = mail_.list_attempts(workspace, q);
  if (!page) return from_store(page.error());
  json::array list;
  for (const auto& a : page->attempts) {
    json::array rc;
    for (const auto& r : a.recipients) rc.push_back(json::value(r));
    list.push_back(json::object{
        {"id", a.id},
        {"createdAt", sesami::detail::format_iso8601(a.created_at)},
        {"transport", a.transport},
        {"status", a.status},
        {"messageId", a.message_id.empty() ? json::value(nullptr) : json::value(a.message_id)},
        {"error", a.error_code.empty() ? json::value(nullptr)
                                       : json::value(json::object{{"code", a.error_code},
                                                                  {"message", a.error_message}})},
        {"recipients", std::move(rc)},
        {"suppressed", suppressed_json(a.suppressed)},
        {"correlationId",
         a.correlation_id.empty() ? json::value(nullptr) : json::value(a.correlation_id)},
        {"subject", a.subject.empty() ? json::value(nullptr) : json::value(a.subject)},
        {"bulkId", a.bulk_id.empty() ? json::value(nullptr) : json::value(a.bulk_id)}});
  }
  return json::serialize(
      json::object{{"attempts", std::move(list)},
                   {"next", page->next ? json::value(*page->next) : json::value(nullptr)}});
}

// ---- bulk
// -----------------------------------------------------------------------------------------
namespace {
struct bulk_request {
  std::string from;
  std::vector<std::string> reply_to;
  template_content tmpl;
  std::vector<mail_tag> tags;
  std::optional<std::string> correlation_id, configuration_set;
  bool list_unsubscribe = true;
  std::optional<std::string> topic;
};

outcome<bulk_request> parse_bulk_head(const json::object& o) {
  bulk_request r;
  auto from = opt_string(o, "from", true, 520);
  if (!from) return from.error();
  if (!*from || !valid_mailbox(**from)) return bad("from", "an email address");
  r.from = **from;
  auto rt = address_list(o, "replyTo");
  if (!rt) return rt.error();
  r.reply_to = std::move(*rt);
  auto t = template_field(o);
  if (!t) return t.error();
  if (!*t) return bad("template", "required: bulk sends use a stored SES template");
  r.tmpl = std::move(**t);
  auto tags = tag_list(o, "tags");
  if (!tags) return tags.error();
  r.tags = std::move(*tags);
  auto corr = correlation_field(o);
  if (!corr) return corr.error();
  r.correlation_id = std::move(*corr);
  auto cs = opt_string(o, "configurationSet", true, 64);
  if (!cs) return cs.error();
  if (*cs && !tag_text(**cs)) return bad("configurationSet", "letters, digits, '_' or '-'");
  r.configuration_set = std::move(*cs);
  if (const auto* lu = o.if_contains("listUnsubscribe"); lu && !lu->is_null()) {
    if (!lu->is_bool()) return bad("listUnsubscribe", "true or false");
    r.list_unsubscribe = lu->get_bool();
  }
  auto topic = topic_field(o);
  if (!topic) return topic.error();
  r.topic = std::move(*topic);
  return r;
}

outcome<bulk_destination> parse_destination(const json::object& d) {
  bulk_destination out;
  for (auto [k, dst] :
       {std::pair{"to", &out.to}, std::pair{"cc", &out.cc}, std::pair{"bcc", &out.bcc}}) {
    auto l = address_list(d, k);
    if (!l) return failure{"validation.destinations", "destinations: " + l.error().message};
    *dst = std::move(*l);
  }
  const auto n = out.to.size() + out.cc.size() + out.bcc.size();
  if (n == 0 || n > max_recipients)
    return bad("destinations", "each destination needs 1-50 recipients");
  if (const auto* data = d.if_contains("data"); data && !data->is_null()) {
    if (!data->is_object()) return bad("destinations", "data: an object");
    out.template_data = json::serialize(*data);
    if (out.template_data.size() > max_template_data)
      return bad("destinations", "data larger than 30 000 characters");
  }
  auto tags = tag_list(d, "tags");
  if (!tags) return failure{"validation.destinations", "destinations: " + tags.error().message};
  out.tags = std::move(*tags);
  return out;
}
}  // namespace

mail_reply mailer::bulk(std::string_view workspace, std::string_view body) {
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  if (ec) return error_reply({"sesami.bad_json", "invalid JSON: " + ec.message()});
  if (!v.is_object()) return error_reply({"sesami.not_an_object", "expected a JSON object"});
  auto& o = v.get_object();
  static constexpr std::string_view known[] = {
      "from",          "replyTo",          "template",        "destinations", "tags",
      "correlationId", "configurationSet", "listUnsubscribe", "topic"};
  for (const auto& kv : o)
    if (std::find(std::begin(known), std::end(known), kv.key()) == std::end(known))
      return error_reply(bad("field", "unknown field '" + std::string(kv.key()) + "'"));
  auto head = parse_bulk_head(o);
  if (!head) return error_reply(head.error());
  if (gate_)
    if (auto refused = gate_(workspace, true)) return error_reply(*refused);
  if (head->topic) {  // a topic that does not exist is refused now, not by the worker later
    std::vector<std::string> kept;
    std::vector<std::pair<std::string, std::string>> supp;
    if (auto g = apply_topic(topics_, workspace, *head->topic, kept, supp); !g)
      return error_reply(g.error());
  }
  if (templates_ && !templates_->in_ses(workspace))  // the simulator's template must exist
    if (auto t = templates_->get(workspace, head->tmpl.name); !t) return error_reply(t.error());
  const auto* d = o.if_contains("destinations");
  if (!d || !d->is_array() || d->get_array().empty() ||
      d->get_array().size() > max_bulk_destinations)
    return error_reply(bad("destinations", "an array of 1-10000 destinations"));
  std::vector<std::string> batches;
  json::array cur;
  for (const auto& item : d->get_array()) {
    const auto* dobj = item.if_object();
    if (!dobj) return error_reply(bad("destinations", "each an object {\"to\": [...]}"));
    if (auto p = parse_destination(*dobj); !p) return error_reply(p.error());
    cur.push_back(item);
    if (cur.size() == bulk_batch) batches.push_back(json::serialize(cur)), cur.clear();
  }
  if (!cur.empty()) batches.push_back(json::serialize(cur));

  store::bulk_job job;
  job.id = new_id("bulk_");
  job.workspace = workspace;
  job.status = "queued";
  json::object req = o;
  req.erase("destinations");  // kept per batch
  job.request = json::serialize(req);
  job.total = static_cast<std::int64_t>(d->get_array().size());
  job.created_at = job.updated_at = now_ms();
  if (auto r = mail_.create_bulk(job, batches); !r) return error_reply(from_store(r.error()));
  cv_.notify_all();
  return {"", json::serialize(
                  json::object{{"id", job.id}, {"status", "queued"}, {"total", job.total}})};
}

outcome<std::string> mailer::bulk_status(std::string_view workspace, std::string_view id) {
  auto j = mail_.find_bulk(workspace, id);
  if (!j) return from_store(j.error());
  if (!*j) return failure{"http.not_found", "no such bulk send"};
  const auto& b = **j;
  return json::serialize(json::object{{"id", b.id},
                                      {"status", b.status},
                                      {"total", b.total},
                                      {"sent", b.sent},
                                      {"failed", b.failed},
                                      {"suppressed", b.suppressed},
                                      {"createdAt", sesami::detail::format_iso8601(b.created_at)},
                                      {"updatedAt", sesami::detail::format_iso8601(b.updated_at)}});
}

void mailer::bulk_loop() {
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
    }
    bool worked = false;
    try {
      worked = work_one_job();
    } catch (const std::exception&) {
      worked = false;  // the job's lease runs out and it is taken up again
    }
    if (!worked && !sleep_for(std::chrono::milliseconds(opt_.bulk_poll_ms))) return;
  }
}

bool mailer::work_one_job() {
  auto claimed = mail_.claim_bulk(owner_, now_ms(), opt_.bulk_lease_ms);
  if (!claimed || !*claimed) return false;
  const store::bulk_job job = std::move(**claimed);
  const std::string& ws = job.workspace;
  auto v = json::parse(job.request);
  auto head = parse_bulk_head(v.as_object());
  if (!head) {
    (void)mail_.finish_bulk(job.id, "failed", now_ms());
    return true;
  }
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) {
        // Back to the queue: the next start (or another node) continues from the next batch.
        (void)mail_.finish_bulk(job.id, "queued", now_ms());
        return true;
      }
    }
    auto renewed = mail_.renew_bulk(job.id, owner_, now_ms(), opt_.bulk_lease_ms);
    if (!renewed || !*renewed) return true;  // another worker owns it now

    auto nb = mail_.next_batch(job.id);
    if (!nb) return true;
    if (!*nb) {
      (void)mail_.finish_bulk(job.id, "done", now_ms());
      return true;
    }
    const auto& batch = **nb;
    auto dv = json::parse(batch.destinations);
    const auto& items = dv.as_array();

    auto choice = pick_(ws);
    if (!choice || !choice->transport) {
      (void)mail_.finish_bulk(job.id, "failed", now_ms());
      return true;
    }
    auto record = [&](const bulk_destination& d, std::string status, std::string message_id,
                      std::string code, std::string message,
                      std::vector<std::pair<std::string, std::string>> supp,
                      std::vector<std::string> rcpts) {
      store::mail_attempt a;
      a.id = new_id("att_");
      a.workspace = ws;
      a.created_at = now_ms();
      a.transport = choice->transport->name();
      a.status = std::move(status);
      a.message_id = std::move(message_id);
      a.error_code = std::move(code);
      a.error_message = std::move(message);
      a.suppressed = std::move(supp);
      a.recipients = std::move(rcpts);
      a.correlation_id = head->correlation_id.value_or("");
      a.subject = "template " + head->tmpl.name;
      a.bulk_id = job.id;
      (void)d;
      return a;
    };

    if (batch.state == store::batch_state::in_flight) {
      // The previous worker died during the transport call: the outcome is unknown, and
      // sending again could mail these people twice. Count them failed, never resend.
      std::vector<store::mail_attempt> log;
      for (const auto& item : items) {
        auto d = parse_destination(item.as_object());
        if (!d) continue;
        std::vector<std::string> r;
        for (const auto* l : {&d->to, &d->cc, &d->bcc})
          for (const auto& a : *l) r.push_back(address_of(a));
        log.push_back(record(*d, "failed", "", "mail.outcome_unknown",
                             "the server stopped during this batch's send; it was not sent "
                             "again (at most once)",
                             {}, std::move(r)));
      }
      if (auto r = mail_.finish_batch(job.id, batch.index, 0,
                                      static_cast<std::int64_t>(items.size()), 0, log, now_ms());
          !r)
        return true;
      continue;
    }

    bulk_mail bm;
    bm.from = head->from;
    bm.reply_to = head->reply_to;
    bm.tmpl = head->tmpl;
    bm.default_tags = head->tags;
    bm.default_tags.push_back({"sesami-workspace", tag_safe(ws)});
    bm.default_tags.push_back({"sesami-bulk-id", tag_safe(job.id)});
    if (head->correlation_id)
      bm.default_tags.push_back({"sesami-correlation-id", *head->correlation_id});
    if (head->topic) bm.default_tags.push_back({"sesami-topic", *head->topic});
    bm.configuration_set = head->configuration_set.value_or(choice->configuration_set);

    // Per destination: suppressed addresses removed; a destination with none left is skipped.
    std::int64_t n_suppressed = 0;
    std::vector<store::mail_attempt> log;
    std::vector<std::vector<std::string>> sent_to;
    std::vector<std::vector<std::pair<std::string, std::string>>> supp_of;
    for (const auto& item : items) {
      auto d = parse_destination(item.as_object());
      if (!d) continue;
      std::vector<std::pair<std::string, std::string>> supp;
      std::vector<std::string> rc;
      bool store_failed = false;
      for (auto* l : {&d->to, &d->cc, &d->bcc}) {
        std::vector<std::string> keep;
        for (auto& a : *l) {
          auto f = store_.find_suppression(ws, address_of(a));
          if (!f) {
            store_failed = true;
            break;
          }
          if (*f)
            supp.emplace_back(address_of(a), (*f)->reason);
          else
            rc.push_back(address_of(a)), keep.push_back(std::move(a));
        }
        *l = std::move(keep);
      }
      if (store_failed) return true;  // retried after the lease, from this batch
      if (head->topic) {              // as a single send: only to those subscribed to the topic
        auto gate = apply_topic(topics_, ws, *head->topic, rc, supp);
        if (!gate && gate.error().code.starts_with("validation.")) {  // the topic was deleted
          (void)mail_.finish_bulk(job.id, "failed", now_ms());
          return true;
        }
        if (!gate) return true;  // the store: retried after the lease, from this batch
        for (auto* l : {&d->to, &d->cc, &d->bcc})
          std::erase_if(*l, [&](const std::string& a) {
            return std::find(rc.begin(), rc.end(), address_of(a)) == rc.end();
          });
      }
      if (rc.empty()) {
        ++n_suppressed;
        log.push_back(record(*d, "suppressed", "", "mail.all_suppressed",
                             "every recipient is on the suppression list", supp, {}));
        continue;
      }
      // Like a single send: a destination left with one recipient gets its own one-click
      // unsubscribe link (RFC 8058), as SendBulkEmail's per-entry ReplacementHeaders.
      if (head->list_unsubscribe && rc.size() == 1 && !public_url().empty()) {
        d->headers.push_back(
            {"List-Unsubscribe", "<" + unsubscribe_url(ws, rc[0], head->topic.value_or("")) + ">"});
        d->headers.push_back({"List-Unsubscribe-Post", "List-Unsubscribe=One-Click"});
      }
      sent_to.push_back(std::move(rc));
      supp_of.push_back(std::move(supp));
      bm.destinations.push_back(std::move(*d));
    }

    // The rate token first: the batch is in flight only while the transport call runs.
    const auto n = static_cast<double>(bm.destinations.size());
    if (n > 0 && !take_rate(*choice, n, false)) continue;  // stopping: back to the loop's check
    // The guard paused the workspace's bulk sending: the job holds before this batch ("held",
    // never claimed) until an admin resumes (POST /reputation/resume queues it again).
    if (gate_ && gate_(ws, true)) {
      (void)mail_.finish_bulk(job.id, "held", now_ms());
      return true;
    }
    if (auto r = mail_.begin_batch(job.id, batch.index, now_ms()); !r) return true;
    std::int64_t n_sent = 0, n_failed = 0;
    if (n > 0) {
      send_result<std::vector<bulk_entry_result>> res =
          send_error{send_errc::throttled, "", "stopped while waiting to retry"};
      thread_local std::mt19937_64 rng{std::random_device{}()};
      for (int attempt = 1;; ++attempt) {
        if (attempt > 1 && !take_rate(*choice, n, false)) break;
        res = choice->transport->send_bulk(ws, bm);
        if (res || !res.error().retryable() || attempt >= opt_.max_tries) break;
        const std::int64_t cap =
            std::min(opt_.backoff_max_ms, opt_.backoff_base_ms << std::min(attempt - 1, 20));
        if (!sleep_for(std::chrono::milliseconds(
                cap / 2 +
                static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(cap / 2 + 1)))))
          break;
      }
      for (std::size_t i = 0; i < bm.destinations.size(); ++i) {
        const auto& d = bm.destinations[i];
        if (res && i < res->size() && !(*res)[i].error) {
          ++n_sent;
          log.push_back(record(d, "sent", (*res)[i].message_id, "", "", supp_of[i], sent_to[i]));
        } else {
          ++n_failed;
          const send_error e = !res ? res.error()
                               : i < res->size() && (*res)[i].error
                                   ? *(*res)[i].error
                                   : send_error{send_errc::unavailable, "", "no result"};
          const failure f = send_failure(e);
          log.push_back(record(d, "failed", "", f.code, f.message, supp_of[i], sent_to[i]));
        }
      }
    }
    if (auto r =
            mail_.finish_batch(job.id, batch.index, n_sent, n_failed, n_suppressed, log, now_ms());
        !r)
      return true;
  }
}

}  // namespace sesami::app
