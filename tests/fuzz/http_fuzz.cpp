// Fuzz target for the HTTP request path without sockets: raw bytes through Beast's request parser
// with the server's limits, then the router (target splitting, percent-decoding, query parsing,
// pattern matching, headers) over the API's real route patterns, and the static-file fallback
// over a temporary root with a secret next to it. Never a crash, an exception escaping, a 5xx,
// an answer that is not JSON when it is an error, or the secret served.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <sesami/json_src.hpp>

#include "http/router.hpp"
#include "http/static_files.hpp"
#include "http/url.hpp"

namespace {
namespace bhttp = boost::beast::http;
namespace fs = std::filesystem;
using namespace sesami::http;

const std::string secret = "fuzz-secret-do-not-serve";

// The API's route patterns (server/http/api.cpp); each handler reads what real handlers read.
router& make_router() {
  static router r = [] {
    router out;
    const std::pair<bhttp::verb, const char*> routes[] = {
        {bhttp::verb::get, "/health"},
        {bhttp::verb::get, "/events"},
        {bhttp::verb::get, "/stats"},
        {bhttp::verb::post, "/auth/login"},
        {bhttp::verb::get, "/recipients/{address}"},
        {bhttp::verb::get, "/messages/{messageId}"},
        {bhttp::verb::get, "/suppression-list"},
        {bhttp::verb::post, "/suppression-list"},
        {bhttp::verb::delete_, "/suppression-list/{address}"},
        {bhttp::verb::post, "/ingest/sns/{token}"},
        {bhttp::verb::post, "/ingest/eventbridge/{token}"},
        {bhttp::verb::delete_, "/api-keys/{id}"},
    };
    for (const auto& [verb, pattern] : routes)
      out.add(verb, pattern, [](context& ctx) {
        boost::json::object o{{"route", ctx.route}};
        boost::json::object params, query;
        for (const auto& [k, v] : ctx.params) {
          if (v.find('\0') != std::string::npos) __builtin_trap();  // NULs never reach handlers
          params[k] = v;
        }
        for (const auto& [k, v] : ctx.query) query[k] = v;
        if (const auto* l = ctx.query_one("limit")) o["limit"] = *l;
        o["params"] = std::move(params);
        o["query"] = std::move(query);
        o["authorization"] = std::string(ctx.header("Authorization"));
        o["cookie"] = std::string(ctx.header("Cookie"));
        return json_response(ctx, bhttp::status::ok, o);
      });
    static const fs::path dir = [] {
      const fs::path d =
          fs::temp_directory_path() / ("sesami-http-fuzz-" + std::to_string(::getpid()));
      fs::create_directories(d / "web" / "assets");
      std::ofstream(d / "web" / "index.html") << "<!doctype html><title>SESami</title>";
      std::ofstream(d / "web" / "assets" / "app.js") << "console.log(1)";
      std::ofstream(d / "secret.txt") << secret;
      return d;
    }();
    out.set_fallback(static_files(dir / "web"));
    return out;
  }();
  return r;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  router& r = make_router();

  // The URL helpers on their own: encode → decode is the identity.
  if (auto d = percent_decode(input)) {
    if (percent_decode(percent_encode(*d)) != *d) __builtin_trap();
  }
  (void)parse_query(input);
  (void)split_target(input);

  // Raw bytes as a request, with the server's default limits.
  bhttp::request_parser<bhttp::string_body> p;
  p.header_limit(16 * 1024);
  p.body_limit(1 << 20);
  p.eager(true);
  boost::system::error_code ec;
  p.put(boost::asio::buffer(input.data(), input.size()), ec);
  if (!ec && !p.is_done()) p.put_eof(ec);
  if (ec || !p.is_done()) return 0;
  const request req = p.release();

  std::string_view route;
  const response res = r.handle(req, "fuzz-request", "127.0.0.1", &route);
  const unsigned st = res.result_int();
  if (st < 200 || st >= 500) __builtin_trap();  // a bad request is never a server fault
  // Only the file handler reads the disk (the API stand-ins echo their input, secret included).
  if (route == "static" && res.body().find(secret) != std::string::npos) __builtin_trap();
  if (st >= 400) {
    boost::system::error_code jec;
    const auto v = boost::json::parse(res.body(), jec);
    if (jec || !v.is_object() || !v.as_object().contains("error")) __builtin_trap();
  }
  if (route.empty()) __builtin_trap();
  return 0;
}
