// The SES v1 Query API (SendEmail, SendRawEmail, SendTemplatedEmail, GetSendQuota), which
// django-ses, older nodemailer versions and many libraries speak: a form-encoded POST to /,
// answered in SES's XML. Each action's form is translated into SES v2 SendEmail's input and sent
// by ses::backend::send_email — the same code as the v2 API, over the same send use case.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>

#include <boost/beast/http/field.hpp>
#include <sesami/ascii.hpp>

#include "../aws/sigv4.hpp"
#include "ses_wire.hpp"

namespace sesami::http::ses {
namespace {
namespace json = boost::json;
using bhttp::status;
constexpr std::string_view xmlns = "http://ses.amazonaws.com/doc/2010-12-01/";

using form = std::map<std::string, std::string, std::less<>>;

// application/x-www-form-urlencoded: '+' is a space, then percent-decoding.
form parse_form(std::string_view body) {
  form out;
  while (!body.empty()) {
    const auto amp = body.find('&');
    auto pair = body.substr(0, amp);
    body = amp == std::string_view::npos ? std::string_view{} : body.substr(amp + 1);
    const auto eq = pair.find('=');
    auto decode = [](std::string_view s) {
      std::string t(s);
      std::replace(t.begin(), t.end(), '+', ' ');
      return aws::uri_decode(t);
    };
    if (!pair.empty())
      out[decode(pair.substr(0, eq))] =
          eq == std::string_view::npos ? std::string() : decode(pair.substr(eq + 1));
  }
  return out;
}

std::optional<std::string> field(const form& f, std::string_view k) {
  if (auto it = f.find(k); it != f.end()) return it->second;
  return std::nullopt;
}
// "Prefix.member.1", "Prefix.member.2", ... until one is missing.
json::array members(const form& f, const std::string& prefix) {
  json::array out;
  for (int i = 1;; ++i) {
    auto v = field(f, prefix + ".member." + std::to_string(i));
    if (!v) break;
    out.push_back(json::string(*v));
  }
  return out;
}
json::array tags(const form& f) {
  json::array out;
  for (int i = 1;; ++i) {
    const auto base = "Tags.member." + std::to_string(i);
    auto n = field(f, base + ".Name"), v = field(f, base + ".Value");
    if (!n || !v) break;
    out.push_back({{"Name", *n}, {"Value", *v}});
  }
  return out;
}
// Addresses of a header value: "a@x, B <b@y>" (a quoted display name with a comma is not split
// correctly; such messages name their Destinations).
json::array header_addresses(std::string_view v) {
  json::array out;
  while (!v.empty()) {
    const auto comma = v.find(',');
    auto a = v.substr(0, comma);
    v = comma == std::string_view::npos ? std::string_view{} : v.substr(comma + 1);
    while (!a.empty() && a.front() == ' ') a.remove_prefix(1);
    while (!a.empty() && a.back() == ' ') a.remove_suffix(1);
    if (!a.empty()) out.push_back(json::string(a));
  }
  return out;
}

// SES v2 SendEmail's input from a v1 action's form; nullopt for an action that sends nothing.
json::object destination(const form& f) {
  return {{"ToAddresses", members(f, "Destination.ToAddresses")},
          {"CcAddresses", members(f, "Destination.CcAddresses")},
          {"BccAddresses", members(f, "Destination.BccAddresses")}};
}
json::object common(const form& f) {
  json::object in;
  if (auto s = field(f, "Source")) in["FromEmailAddress"] = *s;
  in["ReplyToAddresses"] = members(f, "ReplyToAddresses");
  in["EmailTags"] = tags(f);
  if (auto cs = field(f, "ConfigurationSetName")) in["ConfigurationSetName"] = *cs;
  return in;
}
json::object send_email_input(const form& f) {
  auto in = common(f);
  in["Destination"] = destination(f);
  json::object body;
  if (auto t = field(f, "Message.Body.Text.Data")) body["Text"] = {{"Data", *t}};
  if (auto h = field(f, "Message.Body.Html.Data")) body["Html"] = {{"Data", *h}};
  in["Content"] = {{"Simple",
                    {{"Subject", {{"Data", field(f, "Message.Subject.Data").value_or("")}}},
                     {"Body", std::move(body)}}}};
  return in;
}
json::object send_raw_input(const form& f) {
  auto in = common(f);
  const auto data = field(f, "RawMessage.Data").value_or("");
  auto to = members(f, "Destinations");
  json::object dest;
  if (to.empty()) {  // SES: the recipients of the message's own headers
    dest = {{"ToAddresses", header_addresses(raw_header(data, "To"))},
            {"CcAddresses", header_addresses(raw_header(data, "Cc"))},
            {"BccAddresses", header_addresses(raw_header(data, "Bcc"))}};
  } else {
    dest = {{"ToAddresses", std::move(to)}};
  }
  in["Destination"] = std::move(dest);
  in["Content"] = {{"Raw", {{"Data", data}}}};
  return in;
}
json::object send_templated_input(const form& f) {
  auto in = common(f);
  in["Destination"] = destination(f);
  json::object t{{"TemplateData", field(f, "TemplateData").value_or("{}")}};
  if (auto name = field(f, "Template")) t["TemplateName"] = *name;
  in["Content"] = {{"Template", std::move(t)}};
  return in;
}

std::string xml_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

response xml(const context& ctx, status st, std::string body) {
  response res{st, ctx.req.version()};
  res.set(bhttp::field::content_type, "text/xml");
  res.set("x-amzn-RequestId", ctx.request_id);
  res.set("X-Request-Id", ctx.request_id);
  res.body() = std::move(body);
  res.keep_alive(ctx.req.keep_alive());
  res.prepare_payload();
  return res;
}

response answer(const context& ctx, std::string_view action, std::string_view result) {
  std::string b = "<" + std::string(action) + "Response xmlns=\"" + std::string(xmlns) + "\">\n";
  b += "  <" + std::string(action) + "Result>" + std::string(result) + "</" + std::string(action) +
       "Result>\n";
  b += "  <ResponseMetadata><RequestId>" + xml_escape(ctx.request_id) +
       "</RequestId></ResponseMetadata>\n";
  b += "</" + std::string(action) + "Response>\n";
  return xml(ctx, status::ok, std::move(b));
}

// v2's error names as v1 writes them (Throttling, not TooManyRequestsException: the SDKs'
// retry logic knows both, each for its own protocol).
response fail(const context& ctx, const error& e) {
  static const std::map<std::string_view, std::pair<std::string_view, status>> v1{
      {"TooManyRequestsException", {"Throttling", status::bad_request}},
      {"BadRequestException", {"InvalidParameterValue", status::bad_request}},
      {"NotFoundException", {"TemplateDoesNotExist", status::bad_request}},
      {"SendingPausedException", {"AccountSendingPausedException", status::bad_request}},
      {"AccessDeniedException", {"AccessDenied", status::forbidden}},
      {"SerializationException", {"MalformedInput", status::bad_request}},
  };
  std::string code = e.code;
  status st = e.st;
  if (auto it = v1.find(e.code); it != v1.end()) code = it->second.first, st = it->second.second;
  std::string b = "<ErrorResponse xmlns=\"" + std::string(xmlns) + "\">\n  <Error><Type>" +
                  (static_cast<int>(st) >= 500 ? "Receiver" : "Sender") + "</Type><Code>" +
                  xml_escape(code) + "</Code><Message>" + xml_escape(e.message) +
                  "</Message></Error>\n  <RequestId>" + xml_escape(ctx.request_id) +
                  "</RequestId>\n</ErrorResponse>\n";
  return xml(ctx, st, std::move(b));
}

std::string number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}
}  // namespace

response query_api(context& ctx, backend& b) {
  if (ctx.header("Content-Type").find("x-www-form-urlencoded") == std::string_view::npos)
    return fail(ctx, {status::bad_request, "InvalidParameterValue",
                      "the Query API takes application/x-www-form-urlencoded"});
  const auto f = parse_form(ctx.req.body());
  const auto action = field(f, "Action").value_or("");
  const bool sends =
      action == "SendEmail" || action == "SendRawEmail" || action == "SendTemplatedEmail";
  if (!sends && action != "GetSendQuota")
    return fail(ctx, {status::bad_request, "InvalidAction",
                      "The action " + action + " is not valid for this web service."});
  error err;
  auto p = b.authenticate(ctx, sends ? app::role::admin : app::role::viewer, err);
  if (!p) return fail(ctx, err);
  if (action == "GetSendQuota") {
    auto q = b.quota(p->workspace);
    if (auto* e = std::get_if<error>(&q)) return fail(ctx, *e);
    const auto& x = std::get<send_quota>(q);
    return answer(ctx, action,
                  "<Max24HourSend>" + number(x.max_24_hour_send) + "</Max24HourSend><MaxSendRate>" +
                      number(x.max_send_rate) + "</MaxSendRate><SentLast24Hours>" +
                      number(x.sent_last_24_hours) + "</SentLast24Hours>");
  }
  const auto input = action == "SendEmail"      ? send_email_input(f)
                     : action == "SendRawEmail" ? send_raw_input(f)
                                                : send_templated_input(f);
  auto r = b.send_email(ctx, p->workspace, input);
  if (auto* e = std::get_if<error>(&r)) return fail(ctx, *e);
  return answer(ctx, action, "<MessageId>" + xml_escape(std::get<std::string>(r)) + "</MessageId>");
}

std::string raw_header(std::string_view b64, std::string_view name) {
  // Decoding here only to find the header; the send use case decodes and checks it again.
  static constexpr std::string_view alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string raw;
  unsigned buf = 0;
  int bits = 0;
  for (char c : b64.substr(0, 16384)) {
    const auto i = alphabet.find(c);
    if (i == std::string_view::npos) continue;
    buf = (buf << 6) | static_cast<unsigned>(i);
    bits += 6;
    if (bits >= 8) raw.push_back(static_cast<char>((buf >> (bits - 8)) & 0xff)), bits -= 8;
  }
  const auto end =
      raw.find("\r\n\r\n") != std::string::npos ? raw.find("\r\n\r\n") : raw.find("\n\n");
  std::string_view head(raw.data(), end == std::string::npos ? raw.size() : end);
  for (std::size_t at = 0; at < head.size();) {
    const auto nl = head.find('\n', at);
    auto line = head.substr(at, nl == std::string_view::npos ? nl : nl - at);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > name.size() && line[name.size()] == ':' &&
        iequals(line.substr(0, name.size()), name)) {
      line.remove_prefix(name.size() + 1);
      while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
      return std::string(line);
    }
    if (nl == std::string_view::npos) break;
    at = nl + 1;
  }
  return {};
}

}  // namespace sesami::http::ses
