#include "router.hpp"

#include <exception>

#include <boost/beast/http/field.hpp>
#include <boost/json/serialize.hpp>

namespace sesami::http {
namespace {
const std::string empty_string;

std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    const auto end = path.find('/', i);
    const auto n = end == std::string_view::npos ? path.size() - i : end - i;
    out.push_back(path.substr(i, n));
    i += n;
  }
  return out;
}

// Matches one pattern against the path's segments; fills decoded parameters.
enum class match { no, yes, bad_escape };
match try_match(std::string_view pattern, const std::vector<std::string_view>& segs,
                std::vector<std::pair<std::string, std::string>>& params) {
  const auto pat = segments(pattern);
  if (pat.size() != segs.size()) return match::no;
  std::vector<std::pair<std::string, std::string>> found;
  for (std::size_t i = 0; i < pat.size(); ++i) {
    if (pat[i].size() > 2 && pat[i].front() == '{' && pat[i].back() == '}') {
      auto v = percent_decode(segs[i]);
      if (!v) return match::bad_escape;
      found.emplace_back(std::string(pat[i].substr(1, pat[i].size() - 2)), std::move(*v));
    } else if (pat[i] != segs[i]) {
      return match::no;
    }
  }
  params = std::move(found);
  return match::yes;
}
}  // namespace

const std::string& context::param(std::string_view name) const {
  for (const auto& [k, v] : params)
    if (k == name) return v;
  return empty_string;
}
const std::string* context::query_one(std::string_view name) const {
  for (const auto& [k, v] : query)
    if (k == name) return &v;
  return nullptr;
}
std::string_view context::header(std::string_view name) const {
  const auto it = req.find(name);
  if (it == req.end()) return {};
  return {it->value().data(), it->value().size()};
}

void router::add(bhttp::verb method, std::string pattern, handler fn) {
  routes_.push_back({method, std::move(pattern), std::move(fn)});
}

namespace {
// Without a caller to send it piece by piece (tests, fuzzers), a streamed body becomes the
// response's body; a failure part-way is a 500 like any other.
response collect_stream(const context& ctx, response res, body_stream& body) {
  std::string piece;
  while (body.next(piece)) res.body() += piece;
  if (body.failed())
    return error_response(ctx, code::internal, "the streamed answer failed part-way");
  res.prepare_payload();
  return res;
}
}  // namespace

response router::handle(const request& req, std::string request_id, std::string remote,
                        std::string_view* matched_route,
                        std::shared_ptr<body_stream>* stream) const {
  const std::string_view target(req.target().data(), req.target().size());
  const auto [path, qs] = split_target(target);
  context ctx{req, std::move(request_id), std::move(remote), path, "unmatched", {}, {}, {}};
  struct report {
    const context& c;
    std::string_view* out;
    ~report() {
      if (out) *out = c.route;
    }
  } reporter{ctx, matched_route};
  try {
    if (path.empty() || path.front() != '/')
      return error_response(ctx, code::bad_request, "the request target must be an absolute path");
    auto q = parse_query(qs);
    if (!q) return error_response(ctx, code::bad_request, "malformed percent-escape in the query");
    ctx.query = std::move(*q);

    const auto segs = segments(path);
    bool path_known = false;
    // HEAD is answered by the GET handler; the session drops the body.
    const auto method = req.method() == bhttp::verb::head ? bhttp::verb::get : req.method();
    for (const auto& r : routes_) {
      std::vector<std::pair<std::string, std::string>> params;
      const auto m = try_match(r.pattern, segs, params);
      if (m == match::bad_escape)
        return error_response(ctx, code::bad_request, "malformed percent-escape in the path");
      if (m == match::no) continue;
      path_known = true;
      if (r.method != method) continue;
      ctx.params = std::move(params);
      ctx.route = r.pattern;
      response res = r.fn(ctx);
      if (!ctx.stream) return res;
      if (stream) {
        *stream = std::move(ctx.stream);
        return res;
      }
      return collect_stream(ctx, std::move(res), *ctx.stream);
    }
    // POST / is the SES v1 Query API; GET / stays the dashboard's (the static files), and without
    // a dashboard it is not found, as before the SES API was there.
    const bool dashboard_root =
        segs.empty() && (method == bhttp::verb::get || method == bhttp::verb::head);
    if (path_known && !dashboard_root)
      return error_response(ctx, code::method_not_allowed, "method not allowed on this path");
    if (fallback_ && method == bhttp::verb::get) {
      ctx.route = "static";
      return fallback_(ctx);
    }
    return error_response(ctx, code::not_found, "no such route");
  } catch (const std::exception& e) {
    if (on_internal_error) on_internal_error(ctx, e.what());
  } catch (...) {
    if (on_internal_error) on_internal_error(ctx, "unknown exception");
  }
  // Said without the exception's text: it may hold data the caller must not see.
  return error_response(ctx, code::internal, "internal error; quote the request id when reporting");
}

response json_response(const context& ctx, bhttp::status status, const boost::json::value& body) {
  response res{status, ctx.req.version()};
  res.set(bhttp::field::content_type, "application/json");
  res.set(bhttp::field::cache_control, "no-store");
  res.set("X-Request-Id", ctx.request_id);
  res.body() = boost::json::serialize(body);
  res.keep_alive(ctx.req.keep_alive());
  res.prepare_payload();
  return res;
}

response error_response(const request& req, std::string_view request_id, const api_error& e) {
  response res{status_for(e.code), req.version()};
  res.set(bhttp::field::content_type, "application/json");
  res.set(bhttp::field::cache_control, "no-store");
  res.set("X-Request-Id", request_id);
  boost::json::object err{{"code", e.code}, {"message", e.message}, {"requestId", request_id}};
  res.body() = boost::json::serialize(boost::json::object{{"error", std::move(err)}});
  res.keep_alive(req.keep_alive());
  res.prepare_payload();
  return res;
}

response error_response(const context& ctx, const api_error& e) {
  return error_response(ctx.req, ctx.request_id, e);
}

}  // namespace sesami::http
