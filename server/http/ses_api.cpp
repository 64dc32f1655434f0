// The SES v2 API over SESami's use cases (see ses_api.hpp). The story of one SendEmail:
//   SigV4 checked (service ses, the workspace's region, ±15 min, the body's hash, constant-time)
//   → the key's scope and role (http::scope_allows, as every other route)
//   → SES's JSON translated into POST /mail's (nothing else read or invented)
//   → app::mailer::send: suppression, idempotency, rate, transport, attempt log
//   → the answer in SES's shape: {"MessageId"} or an error SES would give
//     (x-amzn-ErrorType + {"message"}), so the SDKs' own retries and error classes work.
#include "ses_api.hpp"

#include <sesami/ascii.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <map>
#include <mutex>
#include <variant>

#include <boost/beast/http/field.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "../app/import.hpp"  // now_ms
#include "../app/stats.hpp"
#include "../app/suppression.hpp"
#include "../aws/sigv4.hpp"
#include "scopes.hpp"
#include "ses_wire.hpp"

namespace sesami::http {
namespace ses {
response ses_json(const context& ctx, bhttp::status st, const boost::json::value& body) {
  response res{st, ctx.req.version()};
  res.set(bhttp::field::content_type, "application/json");
  res.set("x-amzn-RequestId", ctx.request_id);
  res.set("X-Request-Id", ctx.request_id);
  res.body() = boost::json::serialize(body);
  res.keep_alive(ctx.req.keep_alive());
  res.prepare_payload();
  return res;
}

response ses_fail(const context& ctx, const error& e) {
  auto res = ses_json(ctx, e.st, boost::json::object{{"message", e.message}});
  res.set("x-amzn-ErrorType", e.code);
  if (e.st == bhttp::status::too_many_requests) res.set(bhttp::field::retry_after, "1");
  return res;
}
}  // namespace ses

namespace {
namespace json = boost::json;
using bhttp::status;
using bhttp::verb;

using ses_error = ses::error;
using ses::ses_fail;
using ses::ses_json;

ses_error bad_request(std::string message) {
  return {status::bad_request, "BadRequestException", std::move(message)};
}

// SigV4's refusals, worded as AWS words them.
ses_error auth_error(aws::verify_result v) {
  switch (v) {
    case aws::verify_result::missing:
      return {status::forbidden, "MissingAuthenticationToken",
              "Request is missing Authentication Token"};
    case aws::verify_result::malformed:
      return {status::bad_request, "IncompleteSignature",
              "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders', and "
              "the request X-Amz-Date and host among the signed headers."};
    case aws::verify_result::unknown_key:
      return {status::forbidden, "InvalidClientTokenId",
              "The security token included in the request is invalid."};
    case aws::verify_result::stale:
      return {status::bad_request, "RequestExpired",
              "Request timestamp is more than 15 minutes away from the server's time."};
    case aws::verify_result::bad_signature:
    case aws::verify_result::ok:
      break;
  }
  return {status::forbidden, "SignatureDoesNotMatch",
          "The request signature we calculated does not match the signature you provided. Check "
          "your AWS Secret Access Key and signing method. Consult the service documentation for "
          "details."};
}

// A SESami error code (app::mailer's replies, store errors) as the SES error a client expects.
ses_error from_sesami(std::string_view code, std::string message) {
  if (code == "mail.all_suppressed" || code == "mail.rejected")
    return {status::bad_request, "MessageRejected", std::move(message)};
  if (code == "mail.throttled")
    return {status::too_many_requests, "TooManyRequestsException",
            "Maximum sending rate exceeded."};
  // SES's own pause, or SESami's reputation guard (which pauses the way SES would).
  if (code == "mail.account_paused" || code == "mail.paused")
    return {status::bad_request, "SendingPausedException", std::move(message)};
  if (code == "mail.not_authorized")
    return {status::forbidden, "AccessDeniedException", std::move(message)};
  if (code == "mail.unavailable" || code == "store.unavailable" || code == "http.shutting_down")
    return {status::service_unavailable, "ServiceUnavailable", std::move(message)};
  if (code == "template.not_found")
    return {status::not_found, "NotFoundException", std::move(message)};
  if (code == "template.missing_data") return bad_request(std::move(message));
  if (code == "mail.idempotency_in_progress" || code == "mail.idempotency_mismatch")
    return {status::conflict, "ConcurrentModificationException", std::move(message)};
  if (code.starts_with("validation.") || code.starts_with("sesami.") ||
      code == "mail.bad_request" || code == "aws.not_connected")
    return bad_request(std::move(message));
  return {status::internal_server_error, "InternalFailure", std::move(message)};
}

// ---- reading SES's JSON (non-throwing) ----------------------------------------------------------
const json::object* obj(const json::object& o, std::string_view k) {
  const auto* v = o.if_contains(k);
  return v ? v->if_object() : nullptr;
}
std::optional<std::string> str(const json::object* o, std::string_view k) {
  if (!o) return std::nullopt;
  const auto* v = o->if_contains(k);
  if (!v || !v->is_string()) return std::nullopt;
  return std::string(v->get_string());
}
json::array strings(const json::object* o, std::string_view k) {
  json::array out;
  if (!o) return out;
  if (const auto* v = o->if_contains(k); v && v->is_array())
    for (const auto& x : v->get_array())
      if (x.is_string()) out.push_back(x);
  return out;
}

// The parsed TemplateData (SES takes JSON text); an error for text that is not a JSON object.
std::optional<json::value> template_data(const std::optional<std::string>& text, ses_error& err) {
  if (!text) return json::object{};
  boost::system::error_code ec;
  auto v = json::parse(*text, ec);
  if (ec || !v.is_object()) {
    err = bad_request("TemplateData must be a JSON object");
    return std::nullopt;
  }
  return v;
}

// SES v2 SendEmail's JSON → POST /mail's. Fields SESami has no use for (FeedbackForwarding...,
// the identity ARNs, ListManagementOptions' contact list) are accepted and not passed on.
std::optional<json::object> to_mail_request(const json::object& in, ses_error& err) {
  json::object out;
  if (auto from = str(&in, "FromEmailAddress")) out["from"] = *from;
  const auto* dest = obj(in, "Destination");
  out["to"] = strings(dest, "ToAddresses");
  out["cc"] = strings(dest, "CcAddresses");
  out["bcc"] = strings(dest, "BccAddresses");
  out["replyTo"] = strings(&in, "ReplyToAddresses");
  const auto* content = obj(in, "Content");
  if (!content) {
    err = bad_request("Content is required");
    return std::nullopt;
  }
  if (const auto* simple = obj(*content, "Simple")) {
    if (auto subject = str(obj(*simple, "Subject"), "Data")) out["subject"] = *subject;
    const auto* body = obj(*simple, "Body");
    if (auto text = str(body ? obj(*body, "Text") : nullptr, "Data")) out["text"] = *text;
    if (auto html = str(body ? obj(*body, "Html") : nullptr, "Data")) out["html"] = *html;
    if (const auto* a = simple->if_contains("Attachments"); a && a->is_array()) {
      json::array atts;
      for (const auto& item : a->get_array()) {
        const auto* ao = item.if_object();
        if (!ao) continue;
        json::object m;
        if (auto v = str(ao, "FileName")) m["filename"] = *v;
        if (auto v = str(ao, "RawContent")) m["content"] = *v;
        if (auto v = str(ao, "ContentType")) m["contentType"] = *v;
        if (auto v = str(ao, "ContentDisposition"))
          m["disposition"] = *v == "INLINE" ? "inline" : "attachment";
        if (auto v = str(ao, "ContentId")) m["contentId"] = *v;
        atts.push_back(std::move(m));
      }
      out["attachments"] = std::move(atts);
    }
  } else if (const auto* raw = obj(*content, "Raw")) {
    auto data = str(raw, "Data");  // base64, as the SDKs send a blob in JSON
    if (!data) {
      err = bad_request("Content.Raw.Data is required");
      return std::nullopt;
    }
    out["raw"] = *data;
  } else if (const auto* t = obj(*content, "Template")) {
    auto name = str(t, "TemplateName");
    if (!name) {
      err = bad_request(obj(*t, "TemplateContent")
                            ? "inline TemplateContent is not supported: send a TemplateName"
                            : "Content.Template.TemplateName is required");
      return std::nullopt;
    }
    auto data = template_data(str(t, "TemplateData"), err);
    if (!data) return std::nullopt;
    out["template"] = {{"name", *name}, {"data", std::move(*data)}};
  } else {
    err = bad_request("Content needs one of Simple, Raw or Template");
    return std::nullopt;
  }
  if (const auto* tags = in.if_contains("EmailTags"); tags && tags->is_array()) {
    json::object t;
    for (const auto& item : tags->get_array())
      if (const auto* to = item.if_object())
        if (auto n = str(to, "Name"), v = str(to, "Value"); n && v) t[*n] = *v;
    out["tags"] = std::move(t);
  }
  if (auto cs = str(&in, "ConfigurationSetName")) out["configurationSet"] = *cs;
  return out;
}

class ses_api final : public ses::backend, public std::enable_shared_from_this<ses_api> {
 public:
  ses_api(api_deps& d, ses_api_options o) : d_(d), opt_(std::move(o)) {}

  void add(router& r) {
    auto bind = [this](response (ses_api::*fn)(context&, const app::principal&), app::role need) {
      return [self = shared_from_this(), fn, need](context& c) {
        ses_error err;
        auto p = self->authenticate(c, need, err);
        if (!p) return ses_fail(c, err);
        return ((*self).*fn)(c, *p);
      };
    };
    using app::role;
    r.add(verb::post, "/v2/email/outbound-emails", bind(&ses_api::send_one, role::admin));
    r.add(verb::post, "/v2/email/outbound-bulk-emails", bind(&ses_api::send_bulk, role::admin));
    r.add(verb::get, "/v2/email/account", bind(&ses_api::get_account, role::viewer));
    r.add(verb::put, "/v2/email/suppression/addresses",
          bind(&ses_api::put_suppressed, role::admin));
    r.add(verb::get, "/v2/email/suppression/addresses",
          bind(&ses_api::list_suppressed, role::viewer));
    r.add(verb::get, "/v2/email/suppression/addresses/{EmailAddress}",
          bind(&ses_api::get_suppressed, role::viewer));
    r.add(verb::delete_, "/v2/email/suppression/addresses/{EmailAddress}",
          bind(&ses_api::delete_suppressed, role::admin));
    ses::add_template_routes(r, shared_from_this(), d_.templates);
    // The v1 Query API: POST / with a form body (the dashboard at / answers GET only).
    r.add(verb::post, "/",
          [self = shared_from_this()](context& c) { return ses::query_api(c, *self); });
  }

  /// SigV4 with the workspace key's pair, then the same scope rule and role check as the JSON API.
  std::optional<app::principal> authenticate(const context& ctx, app::role need,
                                             ses_error& err) override {
    aws::signable_request sr;
    sr.method = std::string(ctx.req.method_string());
    sr.host = std::string(ctx.header("Host"));
    sr.path = std::string(ctx.path);
    const auto target = std::string_view(ctx.req.target());
    if (const auto q = target.find('?'); q != std::string_view::npos)
      sr.query = std::string(target.substr(q + 1));
    for (const auto& f : ctx.req)
      sr.headers.push_back({std::string(f.name_string()), std::string(f.value())});
    sr.body = ctx.req.body();
    const auto authz = ctx.header("Authorization");
    if (authz.empty()) {
      err = auth_error(aws::verify_result::missing);
      return std::nullopt;
    }
    const auto parsed = aws::parse_authorization(authz);
    if (!parsed) {
      err = auth_error(aws::verify_result::malformed);
      return std::nullopt;
    }
    if (parsed->service != "ses") {
      err = auth_error(aws::verify_result::bad_signature);
      err.message = "Credential should be scoped to correct service: 'ses'.";
      return std::nullopt;
    }
    auto caller = d_.auth.from_access_key(parsed->access_key_id);
    std::optional<std::string> secret;
    if (caller) secret = caller->secret_access_key;
    aws::sign_options so;
    so.max_skew = std::chrono::minutes(15);
    const auto v =
        aws::detail::verify_with(sr, secret, *parsed, std::chrono::system_clock::now(), so);
    if (v != aws::verify_result::ok) {
      err = auth_error(v);
      return std::nullopt;
    }
    if (parsed->region != region_of(caller->who.workspace)) {
      err = auth_error(aws::verify_result::bad_signature);
      err.message =
          "Credential should be scoped to a valid region. The region of this "
          "workspace is '" +
          region_of(caller->who.workspace) + "'.";
      return std::nullopt;
    }
    const auto& p = caller->who;
    if (!scope_allows(p.scope, ctx.req.method(), ctx.route) || !p.allows(need)) {
      err = {status::forbidden, "AccessDeniedException",
             "User: " + parsed->access_key_id +
                 " is not authorized to perform this action "
                 "(API key scope " +
                 std::string(app::to_string(p.scope)) + ", role " +
                 std::string(app::to_string(p.access)) + ")."};
      return std::nullopt;
    }
    return p;
  }

 private:
  // The workspace's AWS connection's region, or the simulator's; read at most once a minute per
  // workspace (every signed request needs it).
  std::string region_of(const std::string& workspace) {
    const auto now = app::now_ms();
    {
      std::lock_guard lock(mu_);
      if (auto it = regions_.find(workspace);
          it != regions_.end() && now - it->second.second < app::auth::key_recheck_ms)
        return it->second.first;
    }
    std::string region = opt_.simulator_region;
    if (d_.aws)
      if (auto row = d_.aws->get(workspace); row && row->connected() && !row->region.empty())
        region = row->region;
    std::lock_guard lock(mu_);
    if (regions_.size() > 10000) regions_.clear();
    regions_[workspace] = {region, now};
    return region;
  }

  bool mail_ready(ses_error& err) {
    if (d_.mail) return true;
    err = {status::service_unavailable, "ServiceUnavailable", "sending is not available"};
    return false;
  }

  std::optional<json::object> body_of(const context& ctx, ses_error& err) {
    boost::system::error_code ec;
    auto v = json::parse(ctx.req.body().empty() ? std::string("{}") : ctx.req.body(), ec);
    if (ec || !v.is_object()) {
      err = {status::bad_request, "SerializationException", "the body is not a JSON object"};
      return std::nullopt;
    }
    return std::move(v.get_object());
  }

  // One SES v2 SendEmail input through the send use case; its MessageId or the SES error.
  std::variant<std::string, ses_error> send_email(const context& ctx, std::string_view workspace,
                                                  const json::object& input) override {
    ses_error err;
    if (!mail_ready(err)) return err;
    auto mail = to_mail_request(input, err);
    if (!mail) return err;
    if (!mail->contains("from"))
      if (const auto* raw = mail->if_contains("raw"); raw && raw->is_string())
        if (auto f = ses::raw_header(raw->get_string(), "From"); !f.empty()) (*mail)["from"] = f;
    const auto reply =
        d_.mail->send(workspace, json::serialize(*mail), ctx.header("Idempotency-Key"));
    boost::system::error_code ec;
    const auto body = json::parse(reply.body, ec);
    const auto* o = ec ? nullptr : body.if_object();
    if (reply.code.empty()) {
      if (auto id = str(o, "messageId")) return *id;
      return ses_error{status::internal_server_error, "InternalFailure", "no message id"};
    }
    auto message = str(o ? obj(*o, "error") : nullptr, "message").value_or(reply.code);
    if (reply.code == "mail.all_suppressed")
      message = "Email address is on the suppression list for this account.";
    return from_sesami(reply.code, std::move(message));
  }

  // GetAccount's and GetSendQuota's numbers: the connected account's real quota (SES
  // GetAccount through the role), the simulator's otherwise (its rate; the Send events of the
  // last 24 hours from the rollups).
  std::variant<ses::send_quota, ses_error> quota(std::string_view workspace) override {
    ses::send_quota q;
    q.max_send_rate = opt_.simulator_rate;
    q.max_24_hour_send = opt_.simulator_rate * 86400;
    if (auto row = d_.aws ? d_.aws->get(workspace)
                          : app::outcome<store::aws_connection_row>(app::failure{});
        row && row->connected()) {
      auto r = d_.aws->verify(workspace);
      if (!r) return from_sesami(r.error().code, r.error().message);
      q.max_send_rate = r->account.max_send_rate;
      q.max_24_hour_send = r->account.max_24_hour_send;
      q.sent_last_24_hours = r->account.sent_last_24_hours;
      q.production_access = r->account.production_access;
      q.sending_enabled = r->account.sending_enabled;
      return q;
    }
    app::stats_request sr;
    sr.to = app::now_ms();
    sr.from = *sr.to - 24LL * 3600 * 1000;
    sr.bucket = bucket_kind::day;
    if (auto a = app::stats(d_.store, workspace, sr))
      q.sent_last_24_hours =
          static_cast<double>(a->totals[static_cast<std::size_t>(event_type::send)]);
    return q;
  }

  response send_one(context& ctx, const app::principal& p) {
    ses_error err;
    auto in = body_of(ctx, err);
    if (!in) return ses_fail(ctx, err);
    auto r = send_email(ctx, p.workspace, *in);
    if (auto* e = std::get_if<ses_error>(&r)) return ses_fail(ctx, *e);
    return ses_json(ctx, status::ok, json::object{{"MessageId", std::get<std::string>(r)}});
  }

  // SendBulkEmail: each entry one templated send through the same use case, answered per entry
  // as SES does (BulkEmailEntryResults, in order).
  response send_bulk(context& ctx, const app::principal& p) {
    ses_error err;
    if (!mail_ready(err)) return ses_fail(ctx, err);
    // The guard's pause stops bulk sends as a whole, as POST /mail/bulk.
    if (d_.guard)
      if (auto refused = d_.guard->gate(p.workspace, true))
        return ses_fail(ctx, from_sesami(refused->code, refused->message));
    auto in = body_of(ctx, err);
    if (!in) return ses_fail(ctx, err);
    const auto* dc = obj(*in, "DefaultContent");
    const auto* t = dc ? obj(*dc, "Template") : nullptr;
    auto name = str(t, "TemplateName");
    if (!name)
      return ses_fail(ctx, bad_request("DefaultContent.Template.TemplateName is required"));
    auto defaults = template_data(str(t, "TemplateData"), err);
    if (!defaults) return ses_fail(ctx, err);
    const auto* entries = in->if_contains("BulkEmailEntries");
    if (!entries || !entries->is_array() || entries->get_array().empty() ||
        entries->get_array().size() > 50)
      return ses_fail(ctx, bad_request("BulkEmailEntries: 1 to 50 entries"));
    json::array results;
    for (const auto& item : entries->get_array()) {
      const auto* e = item.if_object();
      json::object one{{"FromEmailAddress", in->if_contains("FromEmailAddress")
                                                ? in->at("FromEmailAddress")
                                                : json::value(nullptr)}};
      if (e) {
        if (const auto* d = e->if_contains("Destination")) one["Destination"] = *d;
      }
      if (const auto* rt = in->if_contains("ReplyToAddresses")) one["ReplyToAddresses"] = *rt;
      if (const auto* cs = in->if_contains("ConfigurationSetName"))
        one["ConfigurationSetName"] = *cs;
      // Entry data over the defaults, key by key (SES: ReplacementTemplateData replaces).
      json::object data = defaults->get_object();
      const auto* rc = e ? obj(*e, "ReplacementEmailContent") : nullptr;
      const auto* rt = rc ? obj(*rc, "ReplacementTemplate") : nullptr;
      if (auto replacement = template_data(str(rt, "ReplacementTemplateData"), err))
        for (auto& [k, v] : replacement->get_object()) data[k] = v;
      one["Content"] = {
          {"Template", {{"TemplateName", *name}, {"TemplateData", json::serialize(data)}}}};
      json::array tags;
      const json::value* tag_sources[] = {in->if_contains("DefaultEmailTags"),
                                          e ? e->if_contains("ReplacementTags") : nullptr};
      for (const auto* src : tag_sources)
        if (src && src->is_array())
          for (const auto& tg : src->get_array()) tags.push_back(tg);
      one["EmailTags"] = std::move(tags);
      const auto r = send_email(ctx, p.workspace, one);
      if (const auto* id = std::get_if<std::string>(&r)) {
        results.push_back({{"Status", "SUCCESS"}, {"MessageId", *id}});
      } else {
        const auto& x = std::get<ses_error>(r);
        const char* st = x.code == "MessageRejected"            ? "MESSAGE_REJECTED"
                         : x.code == "TooManyRequestsException" ? "TRANSIENT_FAILURE"
                         : x.code == "BadRequestException"      ? "INVALID_PARAMETER"
                                                                : "FAILED";
        results.push_back({{"Status", st}, {"Error", x.message}});
      }
    }
    return ses_json(ctx, status::ok, json::object{{"BulkEmailEntryResults", std::move(results)}});
  }

  response get_account(context& ctx, const app::principal& p) {
    auto q = quota(p.workspace);
    if (auto* e = std::get_if<ses_error>(&q)) return ses_fail(ctx, *e);
    const auto& x = std::get<ses::send_quota>(q);
    return ses_json(
        ctx, status::ok,
        json::object{{"DedicatedIpAutoWarmupEnabled", false},
                     {"EnforcementStatus", "HEALTHY"},
                     {"ProductionAccessEnabled", x.production_access},
                     {"SendingEnabled", x.sending_enabled},
                     {"SendQuota",
                      {{"Max24HourSend", x.max_24_hour_send},
                       {"MaxSendRate", x.max_send_rate},
                       {"SentLast24Hours", x.sent_last_24_hours}}},
                     {"SuppressionAttributes", {{"SuppressedReasons", {"BOUNCE", "COMPLAINT"}}}}});
  }

  // ---- the suppression list: SESami's own, in SES's shape ----
  static std::string ses_reason(std::string_view reason) {
    return reason.find("complaint") != std::string_view::npos ? "COMPLAINT" : "BOUNCE";
  }

  response put_suppressed(context& ctx, const app::principal& p) {
    ses_error err;
    auto in = body_of(ctx, err);
    if (!in) return ses_fail(ctx, err);
    const auto address = str(&*in, "EmailAddress");
    const auto reason = str(&*in, "Reason");
    if (!address || !app::plausible_address(*address))
      return ses_fail(ctx, bad_request("EmailAddress: an email address"));
    if (reason != "BOUNCE" && reason != "COMPLAINT")
      return ses_fail(ctx, bad_request("Reason: BOUNCE or COMPLAINT"));
    store::suppression_entry e;
    e.address = ascii_lower(*address);
    e.reason = ascii_lower(*reason);
    e.source = store::suppression_source::manual;
    e.created_at = app::now_ms();
    if (auto r = d_.store.add_suppressions(p.workspace, std::span(&e, 1)); !r)
      return ses_fail(ctx, from_sesami(r.error().id(), r.error().message));
    return ses_json(ctx, status::ok, json::object{});
  }

  response get_suppressed(context& ctx, const app::principal& p) {
    const auto address = ascii_lower(ctx.param("EmailAddress"));
    auto f = d_.store.find_suppression(p.workspace, address);
    if (!f) return ses_fail(ctx, from_sesami(f.error().id(), f.error().message));
    if (!*f)
      return ses_fail(ctx,
                      {status::not_found, "NotFoundException",
                       "Email address " + address + " does not exist on your suppression list."});
    const auto& e = **f;
    json::object attrs{{"MessageId", e.event_id}, {"FeedbackId", e.event_id}};
    return ses_json(ctx, status::ok,
                    json::object{{"SuppressedDestination",
                                  {{"EmailAddress", e.address},
                                   {"Reason", ses_reason(e.reason)},
                                   {"LastUpdateTime", static_cast<double>(e.created_at) / 1000.0},
                                   {"Attributes", std::move(attrs)}}}});
  }

  response delete_suppressed(context& ctx, const app::principal& p) {
    const auto address = ascii_lower(ctx.param("EmailAddress"));
    auto r = d_.store.remove_suppression(p.workspace, address);
    if (!r) return ses_fail(ctx, from_sesami(r.error().id(), r.error().message));
    if (!*r)
      return ses_fail(ctx,
                      {status::not_found, "NotFoundException",
                       "Email address " + address + " does not exist on your suppression list."});
    return ses_json(ctx, status::ok, json::object{});
  }

  response list_suppressed(context& ctx, const app::principal& p) {
    store::suppression_query q;
    if (const auto* t = ctx.query_one("NextToken")) q.cursor = *t;
    if (const auto* ps = ctx.query_one("PageSize")) {
      std::size_t n = 0;
      const auto [ptr, ec] = std::from_chars(ps->data(), ps->data() + ps->size(), n);
      if (ec != std::errc{} || ptr != ps->data() + ps->size() || n < 1 || n > 1000)
        return ses_fail(ctx, bad_request("PageSize: 1 to 1000"));
      q.limit = n;
    }
    auto page = d_.store.list_suppressions(p.workspace, q);
    if (!page) return ses_fail(ctx, from_sesami(page.error().id(), page.error().message));
    json::array list;
    for (const auto& e : page->entries)
      list.push_back({{"EmailAddress", e.address},
                      {"Reason", ses_reason(e.reason)},
                      {"LastUpdateTime", static_cast<double>(e.created_at) / 1000.0}});
    json::object out{{"SuppressedDestinationSummaries", std::move(list)}};
    if (page->next) out["NextToken"] = *page->next;
    return ses_json(ctx, status::ok, out);
  }

  api_deps& d_;
  ses_api_options opt_;
  std::mutex mu_;
  std::map<std::string, std::pair<std::string, std::int64_t>, std::less<>> regions_;
};

}  // namespace

void add_ses_api_routes(router& r, api_deps& deps, const ses_api_options& opt) {
  std::make_shared<ses_api>(deps, opt)->add(r);
}

}  // namespace sesami::http
