#include "http_client.hpp"

#include <curl/curl.h>

namespace sesami::aws {

namespace {
struct curl_global {
  curl_global() { curl_global_init(CURL_GLOBAL_DEFAULT); }
};
curl_global& global() {
  static curl_global g;
  return g;
}

struct sink {
  http_response* res;
  std::size_t cap;
  bool overflow = false;
};

std::size_t on_body(char* p, std::size_t size, std::size_t n, void* ud) {
  auto* s = static_cast<sink*>(ud);
  const std::size_t len = size * n;
  if (s->res->body.size() + len > s->cap) {
    s->overflow = true;
    return 0;
  }
  s->res->body.append(p, len);
  return len;
}

std::string_view trim(std::string_view v) noexcept {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() &&
         (v.back() == ' ' || v.back() == '\t' || v.back() == '\r' || v.back() == '\n'))
    v.remove_suffix(1);
  return v;
}

std::size_t on_header(char* p, std::size_t size, std::size_t n, void* ud) {
  auto* s = static_cast<sink*>(ud);
  const std::size_t len = size * n;
  std::string_view line(p, len);
  if (line.starts_with("HTTP/")) {
    s->res->headers.clear();  // a new response (after 100-continue or a redirect)
    return len;
  }
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) return len;
  s->res->headers.push_back(
      {std::string(trim(line.substr(0, colon))), std::string(trim(line.substr(colon + 1)))});
  return len;
}
}  // namespace

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string_view http_response::header(std::string_view name) const noexcept {
  for (const auto& h : headers)
    if (iequals(h.name, name)) return h.value;
  return {};
}

http_client::http_client(http_client_options opt) : opt_(std::move(opt)) { global(); }

http_client::~http_client() {
  for (void* h : idle_) curl_easy_cleanup(static_cast<CURL*>(h));
}

void* http_client::acquire() {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      void* h = idle_.back();
      idle_.pop_back();
      return h;
    }
  }
  return curl_easy_init();
}

void http_client::release(void* h) {
  curl_easy_reset(static_cast<CURL*>(h));  // keeps the connection cache
  std::lock_guard lock(mu_);
  if (idle_.size() < 16)
    idle_.push_back(h);
  else
    curl_easy_cleanup(static_cast<CURL*>(h));
}

boost::system::result<http_response, http_error> http_client::perform(const http_request& req) {
  CURL* c = static_cast<CURL*>(acquire());
  if (!c) return http_error{"curl_easy_init failed", false};
  http_response res;
  sink s{&res, opt_.max_response_bytes};
  curl_slist* hdrs = nullptr;
  for (const auto& h : req.headers) {
    const std::string line = h.name + ": " + h.value;
    hdrs = curl_slist_append(hdrs, line.c_str());
  }
  // curl would add "Expect: 100-continue" to larger POSTs; AWS does not need the round trip.
  hdrs = curl_slist_append(hdrs, "Expect:");
  curl_easy_setopt(c, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, req.timeout_ms);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, req.connect_timeout_ms);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
  curl_easy_setopt(c, CURLOPT_USERAGENT, opt_.user_agent.c_str());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &s);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);  // a signed request is never re-sent elsewhere
  if (!opt_.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, opt_.ca_file.c_str());
  if (!opt_.verify_tls) {
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (req.method == "GET") {
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
  } else if (req.method == "HEAD") {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req.method.c_str());
    if (!req.body.empty() || req.method == "POST" || req.method == "PUT") {
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, req.body.data());
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
    }
  }
  const CURLcode rc = curl_easy_perform(c);
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(hdrs);
  if (rc != CURLE_OK) {
    curl_easy_cleanup(c);  // its connection state is unknown: do not pool it
    if (s.overflow) return http_error{"response larger than the allowed size", false};
    return http_error{curl_easy_strerror(rc), rc == CURLE_OPERATION_TIMEDOUT};
  }
  release(c);
  res.status = status;
  return res;
}

std::optional<url_parts> parse_url(std::string_view url) {
  url_parts p;
  if (url.starts_with("https://")) {
    p.scheme = "https";
    url.remove_prefix(8);
  } else if (url.starts_with("http://")) {
    p.scheme = "http";
    url.remove_prefix(7);
  } else {
    return std::nullopt;
  }
  const auto end = url.find_first_of("/?#");
  const auto host = url.substr(0, end);
  if (host.empty() || host.find('@') != std::string_view::npos) return std::nullopt;
  p.host = std::string(host);
  url = end == std::string_view::npos ? std::string_view() : url.substr(end);
  if (const auto hash = url.find('#'); hash != std::string_view::npos) url = url.substr(0, hash);
  const auto q = url.find('?');
  p.path = std::string(url.substr(0, q));
  if (p.path.empty()) p.path.push_back('/');  // (not = "/": g++ 12 -O3 -Wrestrict false positive)
  if (q != std::string_view::npos) p.query = std::string(url.substr(q + 1));
  return p;
}

}  // namespace sesami::aws
