#pragma once
// What `sesami connect` and `sesami doctor` share: calling a running SESami's HTTP API with an
// API key, as any other client would. They go through the API rather than the database so they
// check the server that actually runs (its AWS connection, its poller, its ingestion), from the
// machine the operator is on.
#include <cstdio>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <boost/system/result.hpp>

#include "../aws/http_client.hpp"

namespace sesami::cli {

struct api_target {
  std::string url = "http://127.0.0.1:8080";
  std::string api_key;
};

inline void add_api_options(CLI::App& app, api_target& t) {
  app.add_option("--url", t.url, "SESami's base URL (default http://127.0.0.1:8080)")
      ->envname("SESAMI_URL");
  app.add_option("--api-key", t.api_key, "an admin API key of the workspace")
      ->envname("SESAMI_API_KEY")
      ->required();
}

struct api_reply {
  long status = 0;
  boost::json::value body;  // null when the body is not JSON
  /// The API's {"error":{"code","message"}}, or "" when the body has none.
  std::string error_code() const;
  std::string error_message() const;
};

class api_client {
 public:
  explicit api_client(api_target t) : t_(std::move(t)) {
    while (!t_.url.empty() && t_.url.back() == '/') t_.url.pop_back();
  }
  const std::string& url() const noexcept { return t_.url; }

  /// One request; the error is a transport failure ("cannot reach ..."), never an HTTP status.
  boost::system::result<api_reply, std::string> call(std::string_view method, std::string_view path,
                                                     std::string body = {},
                                                     long timeout_ms = 15000) {
    aws::http_request req;
    req.method = std::string(method);
    req.url = t_.url + std::string(path);
    req.timeout_ms = timeout_ms;
    req.headers.push_back({"Authorization", "Bearer " + t_.api_key});
    req.headers.push_back({"Accept", "application/json"});
    if (!body.empty()) req.headers.push_back({"Content-Type", "application/json"});
    req.body = std::move(body);
    auto r = http_.perform(req);
    if (!r) return "cannot reach SESami at " + t_.url + ": " + r.error().message;
    api_reply out;
    out.status = r->status;
    boost::system::error_code ec;
    out.body = boost::json::parse(r->body, ec);
    if (ec) out.body = nullptr;
    return out;
  }

 private:
  api_target t_;
  aws::http_client http_;
};

inline std::string api_reply::error_code() const {
  if (const auto* o = body.if_object())
    if (const auto* e = o->if_contains("error"); e && e->is_object())
      if (const auto* c = e->as_object().if_contains("code"); c && c->is_string())
        return std::string(c->get_string());
  return {};
}
inline std::string api_reply::error_message() const {
  if (const auto* o = body.if_object())
    if (const auto* e = o->if_contains("error"); e && e->is_object())
      if (const auto* m = e->as_object().if_contains("message"); m && m->is_string())
        return std::string(m->get_string());
  return "HTTP " + std::to_string(status);
}

/// A string member, or "" when absent, null or not a string.
inline std::string str_member(const boost::json::value& v, std::string_view key) {
  if (const auto* o = v.if_object())
    if (const auto* m = o->if_contains(key); m && m->is_string())
      return std::string(m->get_string());
  return {};
}

}  // namespace sesami::cli
