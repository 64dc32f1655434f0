#include "credentials.hpp"

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <boost/json.hpp>

#include <sesami/detail/iso8601.hpp>

namespace sesami::aws {

namespace {
namespace json = boost::json;
using clock = std::chrono::system_clock;

std::string_view trim(std::string_view v) noexcept {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t' || v.front() == '\r'))
    v.remove_prefix(1);
  while (!v.empty() &&
         (v.back() == ' ' || v.back() == '\t' || v.back() == '\r' || v.back() == '\n'))
    v.remove_suffix(1);
  return v;
}

std::optional<std::string> nonempty(const env_lookup& env, std::string_view name) {
  auto v = env(name);
  if (v && !v->empty()) return v;
  return std::nullopt;
}

using ini = std::map<std::string, std::map<std::string, std::string>, std::less<>>;

// The shared-file INI dialect: [section], key = value, '#' / ';' comment lines. Nested
// (indented) sub-properties such as s3 settings are skipped.
std::optional<ini> read_ini(const std::filesystem::path& p) {
  std::ifstream in(p);
  if (!in) return std::nullopt;
  ini out;
  std::string current;
  std::string raw;
  while (std::getline(in, raw)) {
    const bool indented = !raw.empty() && (raw[0] == ' ' || raw[0] == '\t');
    const auto line = trim(raw);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[' && line.back() == ']') {
      current = std::string(trim(line.substr(1, line.size() - 2)));
      out[current];
      continue;
    }
    if (indented) continue;
    const auto eq = line.find('=');
    if (eq == std::string_view::npos || current.empty()) continue;
    out[current][std::string(trim(line.substr(0, eq)))] = std::string(trim(line.substr(eq + 1)));
  }
  return out;
}

std::filesystem::path home_file(const env_lookup& env, std::string_view var, std::string_view rel) {
  if (auto v = nonempty(env, var)) return *v;
  const auto home = nonempty(env, "HOME").value_or("");
  return std::filesystem::path(home) / rel;
}

// Credentials JSON as the container endpoint and IMDS serve it.
credentials_result parse_credentials_json(std::string_view body, std::string source) {
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  const json::object* o = ec ? nullptr : v.if_object();
  if (!o) return credentials_error{source + ": the response is not a JSON object"};
  auto str = [&](std::string_view k) -> std::string {
    if (auto* p = o->if_contains(k))
      if (auto* s = p->if_string()) return std::string(*s);
    return {};
  };
  if (auto code = str("Code"); !code.empty() && code != "Success")
    return credentials_error{source + ": the endpoint answered Code " + code};
  sourced_credentials out;
  out.source = std::move(source);
  out.creds.access_key_id = str("AccessKeyId");
  out.creds.secret_access_key = str("SecretAccessKey");
  out.creds.session_token = str("Token");
  if (auto exp = str("Expiration"); !exp.empty()) {
    out.creds.expires = parse_iso8601(exp);
    if (!out.creds.expires) return credentials_error{out.source + ": unreadable Expiration"};
  }
  if (out.creds.empty())
    return credentials_error{out.source + ": the response lacks AccessKeyId or SecretAccessKey"};
  return out;
}

bool allowed_full_uri_host(std::string_view host) {
  // Plain http only to this machine or the ECS / EKS agents' link-local addresses.
  if (const auto colon = host.rfind(':'); colon != std::string_view::npos && host.front() != '[')
    host = host.substr(0, colon);
  else if (host.front() == '[')
    host = host.substr(0, host.find(']') + 1);
  return host == "localhost" || host.starts_with("127.") || host == "[::1]" ||
         host == "169.254.170.2" || host == "169.254.170.23" || host == "[fd00:ec2::23]";
}
}  // namespace

env_lookup process_env() {
  return [](std::string_view name) -> std::optional<std::string> {
    const std::string n(name);
    if (const char* v = std::getenv(n.c_str())) return std::string(v);
    return std::nullopt;
  };
}

std::optional<clock::time_point> parse_iso8601(std::string_view s) {
  // The core's parser (the one SES event timestamps go through), as a time point.
  const auto ms = sesami::detail::parse_iso8601(s);
  if (!ms) return std::nullopt;
  return clock::time_point(std::chrono::milliseconds(*ms));
}

std::string format_iso8601(clock::time_point t) {
  const std::time_t tt = clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::optional<credentials_result> from_env(const env_lookup& env) {
  auto id = nonempty(env, "AWS_ACCESS_KEY_ID");
  auto secret = nonempty(env, "AWS_SECRET_ACCESS_KEY");
  if (!id && !secret) return std::nullopt;
  if (!id || !secret)
    return credentials_result(credentials_error{
        "environment: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together"});
  sourced_credentials out;
  out.source = "env";
  out.creds.access_key_id = *id;
  out.creds.secret_access_key = *secret;
  out.creds.session_token = nonempty(env, "AWS_SESSION_TOKEN").value_or("");
  return credentials_result(std::move(out));
}

std::optional<credentials_result> from_shared_files(const env_lookup& env) {
  const auto explicit_profile = nonempty(env, "AWS_PROFILE");
  const std::string profile = explicit_profile.value_or("default");
  const auto cred_path = home_file(env, "AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials");
  const auto conf_path = home_file(env, "AWS_CONFIG_FILE", ".aws/config");
  const auto cred_file = read_ini(cred_path);
  const auto conf_file = read_ini(conf_path);
  std::map<std::string, std::string> keys;
  bool found = false;
  if (conf_file) {
    const std::string section = profile == "default" ? "default" : "profile " + profile;
    if (auto it = conf_file->find(section); it != conf_file->end()) {
      keys = it->second;
      found = true;
    }
  }
  if (cred_file) {  // the credentials file wins over the config file
    if (auto it = cred_file->find(profile); it != cred_file->end()) {
      for (const auto& [k, v] : it->second) keys[k] = v;
      found = true;
    }
  }
  if (!found) {
    if (explicit_profile)
      return credentials_result(credentials_error{"profile '" + profile + "' is in neither " +
                                                  cred_path.string() + " nor " +
                                                  conf_path.string()});
    return std::nullopt;
  }
  sourced_credentials out;
  out.source = "profile:" + profile;
  out.creds.access_key_id = keys["aws_access_key_id"];
  out.creds.secret_access_key = keys["aws_secret_access_key"];
  out.creds.session_token = keys["aws_session_token"];
  if (out.creds.empty()) {
    if (!explicit_profile) return std::nullopt;  // e.g. a [default] with only a region
    return credentials_result(credentials_error{
        "profile '" + profile +
        "' has no aws_access_key_id / aws_secret_access_key (role, SSO "
        "and process profiles are not supported: export the keys or use the container / instance "
        "role)"});
  }
  return credentials_result(std::move(out));
}

std::optional<std::string> default_region(const env_lookup& env) {
  if (auto r = nonempty(env, "AWS_REGION")) return r;
  if (auto r = nonempty(env, "AWS_DEFAULT_REGION")) return r;
  const std::string profile = nonempty(env, "AWS_PROFILE").value_or("default");
  if (auto conf = read_ini(home_file(env, "AWS_CONFIG_FILE", ".aws/config"))) {
    const std::string section = profile == "default" ? "default" : "profile " + profile;
    if (auto it = conf->find(section); it != conf->end())
      if (auto r = it->second.find("region"); r != it->second.end() && !r->second.empty())
        return r->second;
  }
  return std::nullopt;
}

std::optional<credentials_result> from_container(const env_lookup& env, http_client& http) {
  std::string url;
  if (auto rel = nonempty(env, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")) {
    url = "http://169.254.170.2" + *rel;
  } else if (auto full = nonempty(env, "AWS_CONTAINER_CREDENTIALS_FULL_URI")) {
    auto parts = parse_url(*full);
    if (!parts)
      return credentials_result(
          credentials_error{"container: AWS_CONTAINER_CREDENTIALS_FULL_URI is not an http(s) URL"});
    if (parts->scheme == "http" && !allowed_full_uri_host(parts->host))
      return credentials_result(credentials_error{
          "container: AWS_CONTAINER_CREDENTIALS_FULL_URI over plain http must name a loopback or "
          "the ECS/EKS agent's address (" +
          parts->host + " is neither)"});
    url = *full;
  } else {
    return std::nullopt;
  }
  http_request req;
  req.url = url;
  req.timeout_ms = 5000;
  req.connect_timeout_ms = 2000;
  std::string token;
  if (auto file = nonempty(env, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")) {
    std::ifstream in(*file);
    if (!in) return credentials_result(credentials_error{"container: cannot read " + *file});
    std::ostringstream ss;
    ss << in.rdbuf();
    token = std::string(trim(ss.str()));
  } else if (auto t = nonempty(env, "AWS_CONTAINER_AUTHORIZATION_TOKEN")) {
    token = *t;
  }
  if (token.find_first_of("\r\n") != std::string::npos)
    return credentials_result(
        credentials_error{"container: the authorization token contains a line break"});
  if (!token.empty()) req.headers.push_back({"Authorization", token});
  auto res = http.perform(req);
  if (!res)
    return credentials_result(credentials_error{"container: " + url + ": " + res.error().message});
  if (res->status != 200)
    return credentials_result(
        credentials_error{"container: " + url + " answered HTTP " + std::to_string(res->status)});
  return parse_credentials_json(res->body, "container");
}

std::optional<credentials_result> from_imds(const env_lookup& env, http_client& http) {
  if (auto off = env("AWS_EC2_METADATA_DISABLED"); off && (*off == "true" || *off == "TRUE"))
    return std::nullopt;
  std::string ep =
      nonempty(env, "AWS_EC2_METADATA_SERVICE_ENDPOINT").value_or("http://169.254.169.254");
  while (!ep.empty() && ep.back() == '/') ep.pop_back();
  // Off EC2 nothing answers at the link-local address: fail fast.
  auto call = [&](std::string method, std::string path, std::vector<http_header> headers) {
    http_request r;
    r.method = std::move(method);
    r.url = ep + path;
    r.headers = std::move(headers);
    r.timeout_ms = 2000;
    r.connect_timeout_ms = 1000;
    return http.perform(r);
  };
  auto tok = call("PUT", "/latest/api/token", {{"X-aws-ec2-metadata-token-ttl-seconds", "21600"}});
  if (!tok)
    return credentials_result(
        credentials_error{"instance metadata: " + ep + ": " + tok.error().message});
  if (tok->status != 200 || tok->body.empty())
    return credentials_result(credentials_error{"instance metadata: token request answered HTTP " +
                                                std::to_string(tok->status)});
  const std::vector<http_header> auth{{"X-aws-ec2-metadata-token", tok->body}};
  auto role = call("GET", "/latest/meta-data/iam/security-credentials/", auth);
  if (!role)
    return credentials_result(credentials_error{"instance metadata: " + role.error().message});
  if (role->status == 404)
    return credentials_result(
        credentials_error{"instance metadata: the instance has no IAM role attached"});
  if (role->status != 200)
    return credentials_result(credentials_error{"instance metadata: role lookup answered HTTP " +
                                                std::to_string(role->status)});
  const std::string name(trim(std::string_view(role->body).substr(0, role->body.find('\n'))));
  if (name.empty() || name.find_first_of("/?#") != std::string::npos)
    return credentials_result(credentials_error{"instance metadata: unexpected role name"});
  auto creds = call("GET", "/latest/meta-data/iam/security-credentials/" + name, auth);
  if (!creds)
    return credentials_result(credentials_error{"instance metadata: " + creds.error().message});
  if (creds->status != 200)
    return credentials_result(credentials_error{"instance metadata: credentials answered HTTP " +
                                                std::to_string(creds->status)});
  return parse_credentials_json(creds->body, "imds");
}

credentials_provider::credentials_provider(env_lookup env, http_client& http,
                                           std::chrono::seconds refresh_margin)
    : env_(std::move(env)), http_(http), margin_(refresh_margin) {}

void credentials_provider::invalidate() {
  std::lock_guard lock(mu_);
  cached_.reset();
}

credentials_result credentials_provider::get() {
  std::lock_guard lock(mu_);  // one fetch at a time: concurrent callers wait and share it
  const auto now = clock::now();
  if (cached_ && (!cached_->creds.expires || *cached_->creds.expires - margin_ > now))
    return *cached_;
  std::optional<credentials_result> r = from_env(env_);
  if (!r) r = from_shared_files(env_);
  if (!r) r = from_container(env_, http_);
  if (!r) r = from_imds(env_, http_);
  if (!r)
    return credentials_error{
        "no AWS credentials found for SESami: set AWS_ACCESS_KEY_ID / "
        "AWS_SECRET_ACCESS_KEY, a profile, or run with a container / instance role"};
  if (!*r) {
    if (r->error().message.starts_with("instance metadata: ") && !from_env(env_) && !cached_)
      return credentials_error{
          "no AWS credentials found for SESami (environment, shared files, "
          "container, " +
          r->error().message + ")"};
    return r->error();
  }
  cached_ = **r;
  return *cached_;
}

}  // namespace sesami::aws
