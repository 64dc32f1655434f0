#include "export_route.hpp"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <sesami/filter.hpp>

#include "../app/event_export.hpp"
#include "gzip_stream.hpp"

namespace sesami::http {
namespace {

// The app's export as a body_stream: a store error after the headers cuts the body short.
class export_body final : public body_stream {
 public:
  export_body(std::unique_ptr<app::event_export> e, std::string first, bool more)
      : export_(std::move(e)), first_(std::move(first)), more_(more) {}
  bool next(std::string& out) override {
    if (pending_first_) {
      pending_first_ = false;
      out = std::move(first_);
      return true;
    }
    if (!more_) return false;
    auto more = export_->next(out);
    if (!more) {
      failed_ = true;
      out.clear();
      return false;
    }
    return *more;
  }
  bool failed() const noexcept override { return failed_; }

 private:
  std::unique_ptr<app::event_export> export_;
  std::string first_;  // read before the headers went out
  bool more_ = true;
  bool pending_first_ = true;
  bool failed_ = false;
};

}  // namespace

response export_events(context& ctx, store::store& s, std::string_view workspace) {
  std::vector<query_param> qp;
  qp.reserve(ctx.query.size());
  for (const auto& [k, v] : ctx.query) qp.emplace_back(k, v);
  static constexpr std::string_view own[] = {"format"};
  auto f = filter_from_query(qp, own);
  if (!f) return error_response(ctx, from_core(f.error()));
  auto format = app::export_format::jsonl;
  if (const auto* fmt = ctx.query_one("format")) {
    auto parsed = app::parse_export_format(*fmt);
    if (!parsed) return error_response(ctx, "validation.format", "format: jsonl or csv");
    format = *parsed;
  }
  // The first page is read before promising 200: a store that cannot answer gets its error status
  // (503 for unavailable) rather than a cut-off body.
  auto exp = std::make_unique<app::event_export>(s, std::string(workspace), std::move(*f), format);
  std::string first, piece;
  bool more = true;
  for (int reads = 0; more && reads < (format == app::export_format::csv ? 2 : 1); ++reads) {
    auto r = exp->next(piece);
    if (!r) return error_response(ctx, api_error{std::string(r.error().id()), r.error().message});
    more = *r;
    first += piece;
  }
  auto body = std::make_shared<export_body>(std::move(exp), std::move(first), more);

  response res{bhttp::status::ok, ctx.req.version()};
  res.set(bhttp::field::content_type, app::export_media_type(format));
  res.set(bhttp::field::cache_control, "no-store");
  res.set(bhttp::field::content_disposition, format == app::export_format::csv
                                                 ? "attachment; filename=\"sesami-events.csv\""
                                                 : "attachment; filename=\"sesami-events.jsonl\"");
  res.set(bhttp::field::vary, "Accept-Encoding");
  res.set("X-Request-Id", ctx.request_id);
  res.keep_alive(ctx.req.keep_alive());
  if (accepts_gzip(ctx.header("Accept-Encoding"))) {
    res.set(bhttp::field::content_encoding, "gzip");
    ctx.stream = gzip_stream(std::move(body));
  } else {
    ctx.stream = std::move(body);
  }
  return res;
}

}  // namespace sesami::http
