#include "sts.hpp"

#include <boost/json.hpp>

namespace sesami::aws {

namespace {
namespace json = boost::json;
using clock = std::chrono::system_clock;

std::string xml_unescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out.push_back(s[i]);
      continue;
    }
    const auto semi = s.find(';', i);
    if (semi == std::string_view::npos || semi - i > 8) {
      out.push_back('&');
      continue;
    }
    const auto ent = s.substr(i + 1, semi - i - 1);
    if (ent == "amp")
      out.push_back('&');
    else if (ent == "lt")
      out.push_back('<');
    else if (ent == "gt")
      out.push_back('>');
    else if (ent == "quot")
      out.push_back('"');
    else if (ent == "apos")
      out.push_back('\'');
    else if (ent.size() > 1 && ent[0] == '#') {
      unsigned long cp = 0;
      try {
        cp = ent[1] == 'x' ? std::stoul(std::string(ent.substr(2)), nullptr, 16)
                           : std::stoul(std::string(ent.substr(1)));
      } catch (...) {
        out.append(s.substr(i, semi - i + 1));
        i = semi;
        continue;
      }
      if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
      } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
      } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
      } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
      }
    } else {
      out.append(s.substr(i, semi - i + 1));
    }
    i = semi;
  }
  return out;
}

sts_error error_from(long status, std::string_view body, std::string_view role_arn,
                     std::string_view external_id, std::string_view region) {
  sts_error e;
  e.http_status = status;
  e.aws_code = xml_text(body, "Code").value_or("");
  const std::string aws_msg = xml_text(body, "Message").value_or("");
  const std::string said = aws_msg.empty() ? "" : " (AWS: " + aws_msg + ")";
  const auto& c = e.aws_code;
  if (c == "AccessDenied") {
    e.code = sts_errc::assume_role_denied;
    e.message = "AWS refused to let SESami assume " + std::string(role_arn) +
                ". The role's trust policy must name SESami's AWS account as principal with the "
                "condition sts:ExternalId = \"" +
                std::string(external_id) +
                "\" (this workspace's External ID); check the role ARN, the trusted account and "
                "the External ID" +
                said;
  } else if (c == "ExpiredToken" || c == "ExpiredTokenException") {
    e.code = sts_errc::own_credentials_expired;
    e.message =
        "SESami's own AWS session token has expired: renew the credentials SESami runs "
        "with (environment, profile, or its container / instance role)" +
        said;
  } else if (c == "InvalidClientTokenId" || c == "UnrecognizedClientException") {
    e.code = sts_errc::own_credentials_invalid;
    e.message =
        "AWS does not recognise SESami's own access key (deleted, inactive, or mistyped "
        "AWS_ACCESS_KEY_ID)" +
        said;
  } else if (c == "SignatureDoesNotMatch" || c == "IncompleteSignature") {
    e.code = sts_errc::own_credentials_invalid;
    e.message =
        "AWS rejected the signature made with SESami's own secret key: check "
        "AWS_SECRET_ACCESS_KEY (and the machine's clock)" +
        said;
  } else if (c == "RequestExpired") {
    e.code = sts_errc::own_credentials_invalid;
    e.message =
        "AWS says the request's time is off by more than 5 minutes: fix this machine's clock" +
        said;
  } else if (c == "ValidationError" || c == "MalformedPolicyDocument" ||
             c == "InvalidParameterValue") {
    e.code = sts_errc::invalid_request;
    e.message = "STS refused the AssumeRole request as invalid: check the role ARN" + said;
  } else if (c == "RegionDisabledException") {
    e.code = sts_errc::region_disabled;
    e.message =
        "STS is not activated in region " + std::string(region) +
        " for SESami's account: activate it in IAM → Account settings, or choose another region" +
        said;
  } else if (c == "Throttling" || c == "ThrottlingException" || status == 429) {
    e.code = sts_errc::throttled;
    e.message = "STS is throttling SESami's requests; retry shortly" + said;
  } else if (status >= 500) {
    e.code = sts_errc::unreachable;
    e.message = "STS answered HTTP " + std::to_string(status) + said;
  } else {
    e.code = sts_errc::bad_response;
    e.message = "STS answered HTTP " + std::to_string(status) + (c.empty() ? "" : " " + c) + said;
  }
  return e;
}

std::string sanitize_session(std::string_view s) {
  std::string out;
  for (char ch : s) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                    (ch >= '0' && ch <= '9') || ch == '_' || ch == '+' || ch == '=' || ch == ',' ||
                    ch == '.' || ch == '@' || ch == '-';
    out.push_back(ok ? ch : '-');
  }
  return out;
}
}  // namespace

std::string_view to_id(sts_errc e) noexcept {
  switch (e) {
    case sts_errc::assume_role_denied:
      return "aws.assume_role_denied";
    case sts_errc::own_credentials_expired:
      return "aws.own_credentials_expired";
    case sts_errc::own_credentials_invalid:
      return "aws.own_credentials_invalid";
    case sts_errc::no_credentials:
      return "aws.no_credentials";
    case sts_errc::invalid_request:
      return "aws.invalid_role";
    case sts_errc::region_disabled:
      return "aws.wrong_region";
    case sts_errc::throttled:
      return "aws.throttled";
    case sts_errc::unreachable:
      return "aws.unreachable";
    case sts_errc::bad_response:
      return "aws.bad_response";
  }
  return "aws.unknown";
}

std::optional<std::string> xml_text(std::string_view xml, std::string_view tag) {
  std::string open(1, '<');  // (appended, not "<" + tag: g++ 12 -O3 -Wrestrict false positive)
  open += tag;
  std::size_t at = 0;
  for (;;) {
    at = xml.find(open, at);
    if (at == std::string_view::npos) return std::nullopt;
    const auto after = at + open.size();
    if (after < xml.size() && (xml[after] == '>' || xml[after] == ' ' || xml[after] == '/')) break;
    at = after;  // a longer tag name with this prefix
  }
  const auto gt = xml.find('>', at);
  if (gt == std::string_view::npos) return std::nullopt;
  if (xml[gt - 1] == '/') return std::string();  // <Tag/>
  std::string close = "</";
  close += tag;
  close += '>';
  const auto end = xml.find(close, gt + 1);
  if (end == std::string_view::npos) return std::nullopt;
  return xml_unescape(xml.substr(gt + 1, end - gt - 1));
}

std::string sts_endpoint(std::string_view region, std::string_view override_url) {
  if (!override_url.empty()) return std::string(override_url);
  const bool china = region.starts_with("cn-");
  return "https://sts." + std::string(region) + (china ? ".amazonaws.com.cn" : ".amazonaws.com");
}

std::string session_name_for(std::string_view workspace) {
  std::string s = "sesami-" + sanitize_session(workspace);
  if (s.size() > 64) s.resize(64);
  return s;
}

boost::system::result<assumed_role, sts_error> assume_role(http_client& http,
                                                           const credentials& own,
                                                           std::string_view endpoint,
                                                           std::string_view region,
                                                           const assume_role_params& p) {
  std::vector<std::pair<std::string, std::string>> form{
      {"Action", "AssumeRole"},
      {"Version", "2011-06-15"},
      {"RoleArn", p.role_arn},
      {"RoleSessionName", p.session_name},
      {"DurationSeconds", std::to_string(p.duration.count())}};
  if (!p.external_id.empty()) form.emplace_back("ExternalId", p.external_id);
  http_request req;
  req.method = "POST";
  req.url = std::string(endpoint);
  if (req.url.find('/', req.url.find("//") + 2) == std::string::npos) req.url += '/';
  req.headers.push_back({"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"});
  req.body = form_encode(form);
  if (!sign_http(req, own, {std::string(region), "sts"}, clock::now()))
    return sts_error{sts_errc::unreachable, "",
                     "the STS endpoint '" + std::string(endpoint) + "' is not an http(s) URL", 0};
  auto res = http.perform(req);
  if (!res)
    return sts_error{
        sts_errc::unreachable, "",
        "STS at " + std::string(endpoint) + " could not be reached: " + res.error().message, 0};
  if (res->status != 200)
    return error_from(res->status, res->body, p.role_arn, p.external_id, region);
  assumed_role out;
  out.creds.access_key_id = xml_text(res->body, "AccessKeyId").value_or("");
  out.creds.secret_access_key = xml_text(res->body, "SecretAccessKey").value_or("");
  out.creds.session_token = xml_text(res->body, "SessionToken").value_or("");
  out.creds.expires = parse_iso8601(xml_text(res->body, "Expiration").value_or(""));
  out.assumed_role_arn = xml_text(res->body, "Arn").value_or("");
  // arn:aws:sts::<account>:assumed-role/...
  if (auto parts = out.assumed_role_arn; !parts.empty()) {
    std::size_t colons = 0, start = 0;
    for (std::size_t i = 0; i < parts.size(); ++i) {
      if (parts[i] != ':') continue;
      if (++colons == 4) start = i + 1;
      if (colons == 5) {
        out.account_id = parts.substr(start, i - start);
        break;
      }
    }
  }
  if (out.creds.empty() || out.creds.session_token.empty() || !out.creds.expires)
    return sts_error{sts_errc::bad_response, "", "STS answered 200 without usable credentials",
                     200};
  return out;
}

// ---- cache ------------------------------------------------------------------------------------
std::optional<assumed_role> memory_credential_cache::get(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  return it->second;
}
void memory_credential_cache::put(const std::string& key, const assumed_role& value) {
  std::lock_guard lock(mu_);
  entries_[key] = value;
}
void memory_credential_cache::erase(const std::string& key) {
  std::lock_guard lock(mu_);
  entries_.erase(key);
}

std::string cache_key(std::string_view workspace, std::string_view role_arn,
                      std::string_view external_id) {
  // Length-prefixed so no choice of values can make two different triples collide.
  std::string k = "sts:";
  for (auto part : {workspace, role_arn, external_id}) {
    k += std::to_string(part.size());
    k += ':';
    k += part;
  }
  return k;
}

std::string serialize(const assumed_role& r) {
  json::object o;
  o["accessKeyId"] = r.creds.access_key_id;
  o["secretAccessKey"] = r.creds.secret_access_key;
  o["sessionToken"] = r.creds.session_token;
  o["expires"] = r.creds.expires ? format_iso8601(*r.creds.expires) : std::string();
  o["assumedRoleArn"] = r.assumed_role_arn;
  o["accountId"] = r.account_id;
  return json::serialize(o);
}

std::optional<assumed_role> deserialize(std::string_view text) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  const json::object* o = ec ? nullptr : v.if_object();
  if (!o) return std::nullopt;
  auto str = [&](std::string_view k) -> std::string {
    if (auto* p = o->if_contains(k))
      if (auto* s = p->if_string()) return std::string(*s);
    return {};
  };
  assumed_role r;
  r.creds.access_key_id = str("accessKeyId");
  r.creds.secret_access_key = str("secretAccessKey");
  r.creds.session_token = str("sessionToken");
  r.creds.expires = parse_iso8601(str("expires"));
  r.assumed_role_arn = str("assumedRoleArn");
  r.account_id = str("accountId");
  if (r.creds.empty() || !r.creds.expires) return std::nullopt;
  return r;
}

// ---- AssumeRole through the cache -----------------------------------------------------------
role_credentials::role_credentials(http_client& http, own_credentials own, credential_cache& cache,
                                   role_credentials_options opt)
    : http_(http), own_(std::move(own)), cache_(cache), opt_(std::move(opt)) {}

clock::time_point role_credentials::now() const { return opt_.now ? opt_.now() : clock::now(); }

bool role_credentials::fresh(const assumed_role& r) const {
  return r.creds.expires && *r.creds.expires - opt_.refresh_margin > now();
}

void role_credentials::invalidate(const role_target& t) {
  cache_.erase(cache_key(t.workspace, t.role_arn, t.external_id));
}

boost::system::result<assumed_role, sts_error> role_credentials::get(const role_target& t) {
  const std::string key = cache_key(t.workspace, t.role_arn, t.external_id);
  if (auto hit = cache_.get(key); hit && fresh(*hit)) return *hit;
  std::shared_ptr<std::mutex> flight;
  {
    std::lock_guard lock(mu_);
    auto& f = flights_[key];
    if (!f) f = std::make_shared<std::mutex>();
    flight = f;
  }
  std::lock_guard one(*flight);  // the first caller calls STS; the others find its result
  if (auto hit = cache_.get(key); hit && fresh(*hit)) return *hit;
  auto own = own_();
  if (!own) return sts_error{sts_errc::no_credentials, "", own.error().message, 0};
  assume_role_params p{t.role_arn, t.external_id, session_name_for(t.workspace), opt_.duration};
  const std::string ep = sts_endpoint(t.region, opt_.sts_endpoint_override);
  ++calls_;
  auto r = assume_role(http_, own->creds, ep, t.region, p);
  if (!r) return r.error();
  cache_.put(key, *r);
  return *r;
}

}  // namespace sesami::aws
