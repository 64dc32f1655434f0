#include "http_client.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>
#include <tuple>

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

/// What the open-socket callback of a policy-bound request checks: the address curl is about to
/// connect to must be the one resolved and checked before (DNS rebinding cannot swap it), and
/// still permitted.
struct pin {
  const outbound_policy* policy = nullptr;
  resolved_address address;
  bool refused = false;
};

bool same_address(const sockaddr* a, const sockaddr_storage& b) noexcept {
  if (a->sa_family != b.ss_family) return false;
  if (a->sa_family == AF_INET)
    return std::memcmp(&reinterpret_cast<const sockaddr_in*>(a)->sin_addr,
                       &reinterpret_cast<const sockaddr_in*>(&b)->sin_addr, sizeof(in_addr)) == 0;
  if (a->sa_family == AF_INET6)
    return std::memcmp(&reinterpret_cast<const sockaddr_in6*>(a)->sin6_addr,
                       &reinterpret_cast<const sockaddr_in6*>(&b)->sin6_addr,
                       sizeof(in6_addr)) == 0;
  return false;
}

curl_socket_t open_pinned(void* ud, curlsocktype, curl_sockaddr* a) {
  auto* p = static_cast<pin*>(ud);
  if (!permitted(classify(&a->addr), *p->policy) || !same_address(&a->addr, p->address.addr)) {
    p->refused = true;
    return CURL_SOCKET_BAD;
  }
  return ::socket(a->family, a->socktype, a->protocol);
}

/// "HOST:PORT" → host (brackets kept) and port; nullopt when malformed.
std::optional<std::pair<std::string, std::uint16_t>> split_host_port(std::string_view hp) {
  const auto colon = hp.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == hp.size()) return std::nullopt;
  unsigned n = 0;
  for (char ch : hp.substr(colon + 1)) {
    if (ch < '0' || ch > '9' || n > 65535) return std::nullopt;
    n = n * 10 + static_cast<unsigned>(ch - '0');
  }
  if (n == 0 || n > 65535) return std::nullopt;
  return std::pair{std::string(hp.substr(0, colon)), static_cast<std::uint16_t>(n)};
}

std::string bracketed(const resolved_address& a) {
  return a.addr.ss_family == AF_INET6 ? "[" + a.text + "]" : a.text;
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
  // A policy-bound request: the URL's syntax, then every address its host (or the override)
  // resolves to, before curl is handed anything.
  std::optional<pin> pinned;
  std::string connect_rule;
  if (req.policy) {
    auto t = parse_outbound_url(req.url, req.policy->allow_http);
    if (!t) return http_error{t.error().message, false, true};
    std::string host = t->host;
    std::uint16_t port = t->port;
    if (!req.connect_to.empty()) {
      auto hp = split_host_port(req.connect_to);
      if (!hp) return http_error{"connect_to is not HOST:PORT", false, true};
      std::tie(host, port) = *hp;
    }
    auto addrs = resolve_outbound(host, port, *req.policy);
    if (!addrs) return http_error{addrs.error().message, false, true};
    pinned.emplace();
    pinned->policy = &*req.policy;
    pinned->address = addrs->front();
    // Connect to exactly the address that was checked; TLS still verifies the URL's name.
    connect_rule = t->host + ":" + std::to_string(t->port) + ":" + bracketed(pinned->address) +
                   ":" + std::to_string(port);
  } else if (!req.connect_to.empty()) {
    connect_rule = "::" + req.connect_to;
  }
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
  curl_slist* connect_to = nullptr;
  if (!connect_rule.empty()) {
    connect_to = curl_slist_append(nullptr, connect_rule.c_str());
    curl_easy_setopt(c, CURLOPT_CONNECT_TO, connect_to);
  }
  if (pinned) {
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, req.policy->allow_http ? "http,https" : "https");
    curl_easy_setopt(c, CURLOPT_PROXY, "");  // a proxy would connect elsewhere than checked
    curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, open_pinned);
    curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, &*pinned);
  }
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
  curl_slist_free_all(connect_to);
  if (rc != CURLE_OK) {
    curl_easy_cleanup(c);  // its connection state is unknown: do not pool it
    if (s.overflow) return http_error{"response larger than the allowed size", false};
    if (pinned && pinned->refused)
      return http_error{"the connection would have gone to another address than the one checked",
                        false, true};
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
