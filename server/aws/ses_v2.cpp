#include "ses_v2.hpp"

#include <openssl/evp.h>
#include <boost/json.hpp>

#include "credentials.hpp"

namespace sesami::aws {

namespace {
namespace json = boost::json;
using app::send_errc;
using clock = std::chrono::system_clock;

json::array addresses(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

json::object destination(const std::vector<std::string>& to, const std::vector<std::string>& cc,
                         const std::vector<std::string>& bcc) {
  json::object d;
  if (!to.empty()) d["ToAddresses"] = addresses(to);
  if (!cc.empty()) d["CcAddresses"] = addresses(cc);
  if (!bcc.empty()) d["BccAddresses"] = addresses(bcc);
  return d;
}

json::array headers_json(const std::vector<app::mail_header>& hs) {
  json::array a;
  for (const auto& h : hs) a.emplace_back(json::object{{"Name", h.name}, {"Value", h.value}});
  return a;
}

json::array tags_json(const std::vector<app::mail_tag>& ts) {
  json::array a;
  for (const auto& t : ts) a.emplace_back(json::object{{"Name", t.name}, {"Value", t.value}});
  return a;
}

json::object charset_data(const std::string& s) { return {{"Data", s}, {"Charset", "UTF-8"}}; }

std::string str_of(const json::object& o, std::string_view k) {
  if (auto* p = o.if_contains(k))
    if (auto* s = p->if_string()) return std::string(*s);
  return {};
}
double num_of(const json::object& o, std::string_view k) {
  if (auto* p = o.if_contains(k)) {
    if (p->is_double()) return p->get_double();
    if (p->is_int64()) return static_cast<double>(p->get_int64());
    if (p->is_uint64()) return static_cast<double>(p->get_uint64());
  }
  return 0;
}
bool bool_of(const json::object& o, std::string_view k, bool def = false) {
  if (auto* p = o.if_contains(k))
    if (auto* b = p->if_bool()) return *b;
  return def;
}
const json::object* obj_of(const json::object& o, std::string_view k) {
  if (auto* p = o.if_contains(k)) return p->if_object();
  return nullptr;
}
const json::array* arr_of(const json::object& o, std::string_view k) {
  if (auto* p = o.if_contains(k)) return p->if_array();
  return nullptr;
}

ses_result<json::object> parse_object(const http_response& r) {
  boost::system::error_code ec;
  auto v = json::parse(r.body, ec);
  if (ec || !v.is_object())
    return ses_error{
        send_errc::unavailable, "",
        "SES answered HTTP " + std::to_string(r.status) + " with a body that is not a JSON object",
        r.status};
  return std::move(v.as_object());
}

// SES's epoch-seconds timestamps (REST-JSON) — fractional or integral.
clock::time_point epoch_seconds(const json::value* v) {
  double s = 0;
  if (v) {
    if (v->is_double())
      s = v->get_double();
    else if (v->is_int64())
      s = static_cast<double>(v->get_int64());
    else if (v->is_string())
      if (auto t = parse_iso8601(v->get_string())) return *t;
  }
  return clock::time_point(
      std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(s)));
}

send_errc bulk_status(std::string_view s) {
  if (s == "ACCOUNT_THROTTLED" || s == "ACCOUNT_DAILY_QUOTA_EXCEEDED") return send_errc::throttled;
  if (s == "TRANSIENT_FAILURE") return send_errc::unavailable;
  if (s == "ACCOUNT_SUSPENDED" || s == "ACCOUNT_SENDING_PAUSED" ||
      s == "CONFIGURATION_SET_SENDING_PAUSED")
    return send_errc::account_paused;
  if (s == "INVALID_PARAMETER") return send_errc::bad_request;
  return send_errc::rejected;  // MESSAGE_REJECTED, MAIL_FROM_DOMAIN_NOT_VERIFIED, *_DOES_NOT_EXIST,
                               // FAILED
}
}  // namespace

send_errc classify_ses_error(std::string_view c, long status) noexcept {
  if (c == "TooManyRequestsException" || c == "LimitExceededException" ||
      c == "ThrottlingException" || c == "Throttling" || status == 429)
    return send_errc::throttled;
  if (c == "AccountSuspendedException" || c == "SendingPausedException")
    return send_errc::account_paused;
  if (c == "MessageRejected" || c == "MailFromDomainNotVerifiedException" ||
      c == "NotFoundException")
    return send_errc::rejected;
  if (c == "AccessDeniedException" || c == "UnrecognizedClientException" ||
      c == "InvalidSignatureException" || c == "ExpiredTokenException" || c == "ExpiredToken" ||
      c == "IncompleteSignatureException" || c == "MissingAuthenticationTokenException" ||
      status == 401 || status == 403)
    return send_errc::not_authorized;
  if (status >= 500 || status == 0) return send_errc::unavailable;
  if (c == "BadRequestException" || status == 400) return send_errc::bad_request;
  return send_errc::rejected;
}

std::string base64_encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string ses_endpoint(std::string_view region, std::string_view override_url) {
  if (!override_url.empty()) return std::string(override_url);
  const bool china = region.starts_with("cn-");
  return "https://email." + std::string(region) + (china ? ".amazonaws.com.cn" : ".amazonaws.com");
}

std::string send_email_body(const app::outgoing_mail& m) {
  json::object body;
  body["FromEmailAddress"] = m.from;
  body["Destination"] = destination(m.to, m.cc, m.bcc);
  if (!m.reply_to.empty()) body["ReplyToAddresses"] = addresses(m.reply_to);
  json::object content;
  if (m.simple) {
    json::object simple;
    simple["Subject"] = charset_data(m.simple->subject);
    json::object b;
    if (!m.simple->text.empty()) b["Text"] = charset_data(m.simple->text);
    if (!m.simple->html.empty()) b["Html"] = charset_data(m.simple->html);
    simple["Body"] = std::move(b);
    if (!m.headers.empty()) simple["Headers"] = headers_json(m.headers);
    if (!m.simple->attachments.empty()) {
      json::array atts;
      for (const auto& a : m.simple->attachments) {
        json::object o{{"FileName", a.file_name},
                       {"RawContent", base64_encode(a.content)},
                       {"ContentDisposition", a.disposition.empty() ? "ATTACHMENT" : a.disposition},
                       {"ContentTransferEncoding", "BASE64"}};
        if (!a.content_type.empty()) o["ContentType"] = a.content_type;
        if (!a.content_id.empty()) o["ContentId"] = a.content_id;
        atts.emplace_back(std::move(o));
      }
      simple["Attachments"] = std::move(atts);
    }
    content["Simple"] = std::move(simple);
  } else if (m.raw) {
    content["Raw"] = json::object{{"Data", base64_encode(*m.raw)}};
  } else if (m.tmpl) {
    json::object t{{"TemplateName", m.tmpl->name}};
    if (!m.tmpl->data.empty()) t["TemplateData"] = m.tmpl->data;
    if (!m.headers.empty()) t["Headers"] = headers_json(m.headers);
    content["Template"] = std::move(t);
  }
  body["Content"] = std::move(content);
  if (!m.tags.empty()) body["EmailTags"] = tags_json(m.tags);
  if (!m.configuration_set.empty()) body["ConfigurationSetName"] = m.configuration_set;
  return json::serialize(body);
}

std::string send_bulk_email_body(const app::bulk_mail& m) {
  json::object body;
  body["FromEmailAddress"] = m.from;
  if (!m.reply_to.empty()) body["ReplyToAddresses"] = addresses(m.reply_to);
  json::object t{{"TemplateName", m.tmpl.name},
                 {"TemplateData", m.tmpl.data.empty() ? "{}" : m.tmpl.data}};
  if (!m.headers.empty()) t["Headers"] = headers_json(m.headers);
  body["DefaultContent"] = json::object{{"Template", std::move(t)}};
  if (!m.default_tags.empty()) body["DefaultEmailTags"] = tags_json(m.default_tags);
  json::array entries;
  for (const auto& d : m.destinations) {
    json::object e{{"Destination", destination(d.to, d.cc, d.bcc)}};
    if (!d.tags.empty()) e["ReplacementTags"] = tags_json(d.tags);
    if (!d.headers.empty()) e["ReplacementHeaders"] = headers_json(d.headers);
    if (!d.template_data.empty())
      e["ReplacementEmailContent"] = json::object{
          {"ReplacementTemplate", json::object{{"ReplacementTemplateData", d.template_data}}}};
    entries.emplace_back(std::move(e));
  }
  body["BulkEmailEntries"] = std::move(entries);
  if (!m.configuration_set.empty()) body["ConfigurationSetName"] = m.configuration_set;
  return json::serialize(body);
}

ses_v2_client::ses_v2_client(http_client& http, std::string region, std::string endpoint_override)
    : http_(http), region_(std::move(region)), endpoint_(ses_endpoint(region_, endpoint_override)) {
  while (!endpoint_.empty() && endpoint_.back() == '/') endpoint_.pop_back();
}

ses_result<http_response> ses_v2_client::call(const credentials& c, std::string method,
                                              std::string path, std::string query,
                                              std::string body) {
  http_request req;
  req.method = std::move(method);
  req.url = endpoint_ + path + (query.empty() ? "" : "?" + query);
  if (!body.empty()) req.headers.push_back({"Content-Type", "application/json"});
  req.body = std::move(body);
  if (!sign_http(req, c, {region_, "ses"}, clock::now()))
    return ses_error{send_errc::not_connected, "",
                     "the SES endpoint '" + endpoint_ + "' is not an http(s) URL", 0};
  auto res = http_.perform(req);
  if (!res)
    return ses_error{send_errc::unavailable, "",
                     "SES at " + endpoint_ + " could not be reached: " + res.error().message, 0};
  if (res->status >= 200 && res->status < 300) return std::move(*res);
  // restJson1 errors: the code in x-amzn-ErrorType ("Code:http://..." on some services), else in
  // the body's __type / code / type ("ns#Code" possible); the text in message / Message.
  ses_error e;
  e.http_status = res->status;
  std::string code(res->header("x-amzn-ErrorType"));
  std::string msg;
  boost::system::error_code ec;
  auto v = json::parse(res->body, ec);
  if (!ec && v.is_object()) {
    const auto& o = v.as_object();
    if (code.empty()) code = str_of(o, "__type");
    if (code.empty()) code = str_of(o, "code");
    if (code.empty()) code = str_of(o, "type");
    msg = str_of(o, "message");
    if (msg.empty()) msg = str_of(o, "Message");
    if (auto detail = str_of(o, "detail"); !detail.empty())
      msg += (msg.empty() ? "" : ": ") + detail;
  }
  if (auto colon = code.find(':'); colon != std::string::npos) code.resize(colon);
  if (auto hash = code.rfind('#'); hash != std::string::npos) code.erase(0, hash + 1);
  e.aws_code = code;
  e.code = classify_ses_error(code, res->status);
  e.message = "SES " + (code.empty() ? "HTTP " + std::to_string(res->status) : code) +
              (msg.empty() ? "" : ": " + msg);
  return e;
}

ses_result<account_info> ses_v2_client::get_account(const credentials& c) {
  auto r = call(c, "GET", "/v2/email/account", "", "");
  if (!r) return r.error();
  auto o = parse_object(*r);
  if (!o) return o.error();
  account_info a;
  a.production_access = bool_of(*o, "ProductionAccessEnabled");
  a.sending_enabled = bool_of(*o, "SendingEnabled");
  a.enforcement_status = str_of(*o, "EnforcementStatus");
  if (auto* q = obj_of(*o, "SendQuota")) {
    a.max_send_rate = num_of(*q, "MaxSendRate");
    a.max_24_hour_send = num_of(*q, "Max24HourSend");
    a.sent_last_24_hours = num_of(*q, "SentLast24Hours");
  }
  return a;
}

ses_result<std::string> ses_v2_client::send_email(const credentials& c,
                                                  const app::outgoing_mail& m) {
  auto r = call(c, "POST", "/v2/email/outbound-emails", "", send_email_body(m));
  if (!r) return r.error();
  auto o = parse_object(*r);
  if (!o) return o.error();
  auto id = str_of(*o, "MessageId");
  if (id.empty())
    return ses_error{send_errc::unavailable, "", "SES answered without a MessageId", r->status};
  return id;
}

ses_result<std::vector<app::bulk_entry_result>> ses_v2_client::send_bulk_email(
    const credentials& c, const app::bulk_mail& m) {
  auto r = call(c, "POST", "/v2/email/outbound-bulk-emails", "", send_bulk_email_body(m));
  if (!r) return r.error();
  auto o = parse_object(*r);
  if (!o) return o.error();
  const auto* results = arr_of(*o, "BulkEmailEntryResults");
  if (!results || results->size() != m.destinations.size())
    return ses_error{send_errc::unavailable, "",
                     "SES answered a bulk send without one result per destination", r->status};
  std::vector<app::bulk_entry_result> out;
  for (const auto& v : *results) {
    app::bulk_entry_result e;
    const auto* eo = v.if_object();
    const std::string status = eo ? str_of(*eo, "Status") : "";
    if (status == "SUCCESS") {
      e.message_id = str_of(*eo, "MessageId");
    } else {
      e.error = app::send_error{bulk_status(status), status, eo ? str_of(*eo, "Error") : ""};
    }
    out.push_back(std::move(e));
  }
  return out;
}

ses_result<suppression_page> ses_v2_client::list_suppressed_destinations(
    const credentials& c, const list_suppressed_params& p) {
  std::vector<std::pair<std::string, std::string>> q;
  for (const auto& r : p.reasons) q.emplace_back("Reason", r);
  auto secs = [](clock::time_point t) {
    return std::to_string(
        std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count());
  };
  if (p.start_date) q.emplace_back("StartDate", secs(*p.start_date));
  if (p.end_date) q.emplace_back("EndDate", secs(*p.end_date));
  if (!p.next_token.empty()) q.emplace_back("NextToken", p.next_token);
  q.emplace_back("PageSize", std::to_string(p.page_size));
  auto r = call(c, "GET", "/v2/email/suppression/addresses", form_encode(q), "");
  if (!r) return r.error();
  auto o = parse_object(*r);
  if (!o) return o.error();
  suppression_page page;
  page.next_token = str_of(*o, "NextToken");
  if (const auto* items = arr_of(*o, "SuppressedDestinationSummaries"))
    for (const auto& v : *items) {
      const auto* io = v.if_object();
      if (!io) continue;
      page.items.push_back({str_of(*io, "EmailAddress"), str_of(*io, "Reason"),
                            epoch_seconds(io->if_contains("LastUpdateTime"))});
    }
  return page;
}

ses_result<void> ses_v2_client::put_suppressed_destination(const credentials& c,
                                                           std::string_view email,
                                                           std::string_view reason) {
  json::object b{{"EmailAddress", email}, {"Reason", reason}};
  auto r = call(c, "PUT", "/v2/email/suppression/addresses", "", json::serialize(b));
  if (!r) return r.error();
  return {};
}

ses_result<void> ses_v2_client::delete_suppressed_destination(const credentials& c,
                                                              std::string_view email) {
  auto r = call(c, "DELETE", "/v2/email/suppression/addresses/" + uri_encode(email), "", "");
  if (!r) return r.error();
  return {};
}

ses_result<configuration_set_info> ses_v2_client::get_configuration_set(const credentials& c,
                                                                        std::string_view name) {
  auto r = call(c, "GET", "/v2/email/configuration-sets/" + uri_encode(name), "", "");
  if (!r) return r.error();
  auto o = parse_object(*r);
  if (!o) return o.error();
  configuration_set_info info;
  info.name = str_of(*o, "ConfigurationSetName");
  if (const auto* s = obj_of(*o, "SendingOptions"))
    info.sending_enabled = bool_of(*s, "SendingEnabled", true);
  if (const auto* s = obj_of(*o, "ReputationOptions"))
    info.reputation_metrics_enabled = bool_of(*s, "ReputationMetricsEnabled");
  if (const auto* s = obj_of(*o, "DeliveryOptions")) info.tls_policy = str_of(*s, "TlsPolicy");
  if (const auto* s = obj_of(*o, "SuppressionOptions"))
    if (const auto* rs = arr_of(*s, "SuppressedReasons"))
      for (const auto& v : *rs)
        if (v.is_string()) info.suppressed_reasons.emplace_back(v.get_string());
  return info;
}

ses_result<std::vector<event_destination>> ses_v2_client::get_configuration_set_event_destinations(
    const credentials& c, std::string_view name) {
  auto r = call(c, "GET",
                "/v2/email/configuration-sets/" + uri_encode(name) + "/event-destinations", "", "");
  if (!r) return r.error();
  auto o = parse_object(*r);
  if (!o) return o.error();
  std::vector<event_destination> out;
  if (const auto* ds = arr_of(*o, "EventDestinations"))
    for (const auto& v : *ds) {
      const auto* d = v.if_object();
      if (!d) continue;
      event_destination e;
      e.name = str_of(*d, "Name");
      e.enabled = bool_of(*d, "Enabled");
      if (const auto* ts = arr_of(*d, "MatchingEventTypes"))
        for (const auto& t : *ts)
          if (t.is_string()) e.matching_event_types.emplace_back(t.get_string());
      if (const auto* s = obj_of(*d, "SnsDestination")) {
        e.kind = "sns";
        e.target_arn = str_of(*s, "TopicArn");
      } else if (const auto* b = obj_of(*d, "EventBridgeDestination")) {
        e.kind = "event-bridge";
        e.target_arn = str_of(*b, "EventBusArn");
      } else if (const auto* f = obj_of(*d, "KinesisFirehoseDestination")) {
        e.kind = "firehose";
        e.target_arn = str_of(*f, "DeliveryStreamArn");
      } else if (obj_of(*d, "CloudWatchDestination")) {
        e.kind = "cloudwatch";
      } else if (const auto* p = obj_of(*d, "PinpointDestination")) {
        e.kind = "pinpoint";
        e.target_arn = str_of(*p, "ApplicationArn");
      }
      out.push_back(std::move(e));
    }
  return out;
}

bool stale_credentials(const ses_error& e) noexcept {
  return e.aws_code == "ExpiredTokenException" || e.aws_code == "ExpiredToken" ||
         e.aws_code == "UnrecognizedClientException" || e.aws_code == "InvalidClientTokenId";
}

// ---- stored templates ----------------------------------------------------------------------
namespace {
json::object template_content_json(const ses_template& t) {
  json::object o{{"Subject", t.subject}};
  if (!t.text.empty()) o["Text"] = t.text;
  if (!t.html.empty()) o["Html"] = t.html;
  return o;
}
}  // namespace

ses_result<void> ses_v2_client::create_email_template(const credentials& c, const ses_template& t) {
  json::object body{{"TemplateName", t.name}, {"TemplateContent", template_content_json(t)}};
  auto r = call(c, "POST", "/v2/email/templates", "", json::serialize(body));
  if (!r) return r.error();
  return {};
}

ses_result<void> ses_v2_client::update_email_template(const credentials& c, const ses_template& t) {
  json::object body{{"TemplateContent", template_content_json(t)}};
  auto r = call(c, "PUT", "/v2/email/templates/" + uri_encode(t.name), "", json::serialize(body));
  if (!r) return r.error();
  return {};
}

ses_result<void> ses_v2_client::delete_email_template(const credentials& c, std::string_view name) {
  auto r = call(c, "DELETE", "/v2/email/templates/" + uri_encode(name), "", "");
  if (!r) return r.error();
  return {};
}

ses_result<ses_template> ses_v2_client::get_email_template(const credentials& c,
                                                           std::string_view name) {
  auto r = call(c, "GET", "/v2/email/templates/" + uri_encode(name), "", "");
  if (!r) return r.error();
  auto o = parse_object(*r);
  if (!o) return o.error();
  ses_template t;
  t.name = str_of(*o, "TemplateName");
  if (t.name.empty()) t.name = std::string(name);
  if (const auto* tc = obj_of(*o, "TemplateContent"))
    t.subject = str_of(*tc, "Subject"), t.text = str_of(*tc, "Text"), t.html = str_of(*tc, "Html");
  return t;
}

ses_result<ses_template_page> ses_v2_client::list_email_templates(const credentials& c,
                                                                  std::string_view next_token,
                                                                  int page_size) {
  std::string query = "PageSize=" + std::to_string(page_size);
  if (!next_token.empty()) query = "NextToken=" + uri_encode(next_token) + "&" + query;
  auto r = call(c, "GET", "/v2/email/templates", query, "");
  if (!r) return r.error();
  auto o = parse_object(*r);
  if (!o) return o.error();
  ses_template_page page;
  if (const auto* a = arr_of(*o, "TemplatesMetadata"))
    for (const auto& v : *a)
      if (const auto* m = v.if_object())
        page.items.emplace_back(str_of(*m, "TemplateName"),
                                epoch_seconds(m->if_contains("CreatedTimestamp")));
  page.next_token = str_of(*o, "NextToken");
  return page;
}

ses_result<std::string> ses_v2_client::test_render_email_template(const credentials& c,
                                                                  std::string_view name,
                                                                  std::string_view template_data) {
  json::object body{{"TemplateData", template_data.empty() ? "{}" : template_data}};
  auto r = call(c, "POST", "/v2/email/templates/" + uri_encode(name) + "/render", "",
                json::serialize(body));
  if (!r) return r.error();
  auto o = parse_object(*r);
  if (!o) return o.error();
  return str_of(*o, "RenderedTemplate");
}

}  // namespace sesami::aws
