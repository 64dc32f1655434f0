#pragma once
// A small blocking HTTP(S) client over libcurl for the AWS calls (STS, SES v2, SQS, credential
// endpoints). Keep-alive: finished handles go back to a pool, so a warm client reuses its TLS
// connections. Every call is bounded: connect and total timeouts, and a response size cap.
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/system/result.hpp>

#include <sesami/ascii.hpp>

#include "outbound_url.hpp"

namespace sesami::aws {

struct http_header {
  std::string name, value;
};

struct http_request {
  std::string method = "GET";
  std::string url;  // http://host[:port]/path?query or https://...
  std::vector<http_header> headers;
  std::string body;
  long timeout_ms = 10'000;         // whole exchange
  long connect_timeout_ms = 3'000;  // TCP + TLS handshake
  /// Set for a URL someone other than the operator chose or shaped (outbound_url.hpp): https
  /// only, every resolved address checked, the connection pinned to the checked address, no
  /// proxy from the environment. Empty: the operator's own endpoints (AWS's, or overrides).
  std::optional<outbound_policy> policy = std::nullopt;
  /// Operator / test override "HOST:PORT": connect there instead of the URL's host (TLS still
  /// checks the URL's name). Under a policy it is what the host resolves to, and is checked.
  std::string connect_to = {};
};

struct http_response {
  long status = 0;
  std::vector<http_header> headers;  // names as received
  std::string body;
  /// The first header of that name (case-insensitive); empty when absent.
  std::string_view header(std::string_view name) const noexcept;
};

/// A transport failure: nothing (or nothing complete) came back. HTTP error statuses are not
/// errors here — they are responses.
struct http_error {
  std::string message;  // curl's description; never contains request headers or bodies
  bool timeout = false;
  bool refused = false;  // the request's policy refused the URL or its address: nothing was sent
};

struct http_client_options {
  std::string ca_file;  // PEM bundle trusted for https (empty: the system store)
  bool verify_tls = true;
  std::size_t max_response_bytes = 8u << 20;
  std::string user_agent = "sesami";
};

class http_client {
 public:
  explicit http_client(http_client_options opt = {});
  ~http_client();
  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;

  /// Performs one exchange. Thread-safe: concurrent calls use separate handles.
  boost::system::result<http_response, http_error> perform(const http_request& req);

 private:
  void* acquire();
  void release(void* h);
  http_client_options opt_;
  std::mutex mu_;
  std::vector<void*> idle_;  // CURL* handles with their open connections
};

/// The parts of an absolute http(s) URL that signing needs.
struct url_parts {
  std::string scheme;  // "http" or "https"
  std::string host;    // host[:port] exactly as the Host header carries it
  std::string path;    // "/" when the URL has none; as written (percent-encoding kept)
  std::string query;   // without '?'; empty when none
};
/// Nullopt when the URL is not http(s), has user info, or has no host.
std::optional<url_parts> parse_url(std::string_view url);

/// True for names equal ignoring ASCII case (the core's).
using sesami::iequals;

}  // namespace sesami::aws
