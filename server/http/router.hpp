#pragma once
// The pure part of the server: a request in, a response out. No sockets here, so every route can be
// tested (and fuzzed) without a network. Patterns are literal segments and {name} parameters.
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/json/value.hpp>

#include "errors.hpp"
#include "url.hpp"

namespace sesami::http {

namespace bhttp = boost::beast::http;
using request = bhttp::request<bhttp::string_body>;
using response = bhttp::response<bhttp::string_body>;

/// A response body made piece by piece after the headers are sent (chunked transfer encoding):
/// the session asks for the next piece only once the previous one is written, so a body of any
/// size costs one piece of memory, and a slow reader slows the producer instead of filling a
/// buffer. next() runs on a worker thread and may block (a store page).
class body_stream {
 public:
  virtual ~body_stream() = default;
  /// Replaces `out` with the next piece (possibly empty); false when the body is complete. An
  /// error after the headers went out cannot change the status any more: next() returns false with
  /// failed() true, and the session cuts the response short (no last chunk), so the client sees
  /// an incomplete body rather than a complete-looking truncated one.
  virtual bool next(std::string& out) = 0;
  virtual bool failed() const noexcept { return false; }
};

/// What a handler sees besides the request itself.
struct context {
  const request& req;
  std::string request_id;
  std::string remote;      // peer address, for throttling and logs
  std::string_view path;   // undecoded path, without the query
  std::string_view route;  // the matched pattern ("/messages/{messageId}")
  std::vector<std::pair<std::string, std::string>> params;  // decoded path parameters
  query_params query;                                       // decoded query parameters

  /// A path parameter by name ("" when absent: the pattern guarantees presence).
  const std::string& param(std::string_view name) const;
  /// The first query parameter with that name, or nullptr.
  const std::string* query_one(std::string_view name) const;
  /// A request header ("" when absent).
  std::string_view header(std::string_view name) const;

  /// Set by a handler whose answer's body is streamed: the response it returns carries the status
  /// and headers, and this the body.
  std::shared_ptr<body_stream> stream;
};

using handler = std::function<response(context&)>;

struct route {
  bhttp::verb method;
  std::string pattern;
  handler fn;
};

class router {
 public:
  void add(bhttp::verb method, std::string pattern, handler fn);
  /// Called for GET/HEAD requests that match no route (the static files); 404 when unset.
  void set_fallback(handler fn) { fallback_ = std::move(fn); }

  /// Routes, validates and runs the handler. Never throws: an escaping exception becomes a 500
  /// carrying the request id (and a log line through on_internal_error).
  /// matched_route, when given, receives the pattern that answered ("static", "unmatched") for
  /// metrics and logs: the pattern, never the path, so tokens in paths stay out of both.
  /// stream, when given, receives a streamed body (context::stream) for the caller to send after
  /// the response's headers; without it a streamed body is collected into the response (tests,
  /// fuzzers).
  response handle(const request& req, std::string request_id, std::string remote,
                  std::string_view* matched_route = nullptr,
                  std::shared_ptr<body_stream>* stream = nullptr) const;

  const std::vector<route>& routes() const noexcept { return routes_; }
  /// Told about handler exceptions; the server logs them.
  std::function<void(const context&, std::string_view what)> on_internal_error;

 private:
  std::vector<route> routes_;
  handler fallback_;
};

// ---- responses: every answer goes through these so errors look the same everywhere ----------
response json_response(const context& ctx, bhttp::status status, const boost::json::value& body);
response error_response(const context& ctx, const api_error& e);
response error_response(const request& req, std::string_view request_id, const api_error& e);
inline response error_response(const context& ctx, std::string_view code, std::string message) {
  return error_response(ctx, api_error{std::string(code), std::move(message)});
}

}  // namespace sesami::http
