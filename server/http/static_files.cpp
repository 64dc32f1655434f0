#include "static_files.hpp"

#include <fstream>
#include <sstream>
#include <system_error>

#include <boost/beast/http/field.hpp>

namespace sesami::http {
namespace fs = std::filesystem;
namespace {
std::string_view mime_type(const fs::path& p) {
  const auto ext = p.extension().string();
  struct entry {
    std::string_view ext, type;
  };
  static constexpr entry types[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".wasm", "application/wasm"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".ico", "image/x-icon"},
      {".woff2", "font/woff2"},
      {".txt", "text/plain; charset=utf-8"},
      {".map", "application/json"},
      {".webmanifest", "application/manifest+json"},
  };
  for (const auto& t : types)
    if (t.ext == ext) return t.type;
  return "application/octet-stream";
}

bool within(const fs::path& root, const fs::path& p) {
  auto r = root.begin(), q = p.begin();
  for (; r != root.end(); ++r, ++q)
    if (q == p.end() || *r != *q) return false;
  return true;
}
}  // namespace

handler static_files(fs::path root_in) {
  std::error_code ec;
  const fs::path root = fs::canonical(root_in, ec);
  return [root, ok = !ec](context& ctx) -> response {
    if (!ok) return error_response(ctx, code::not_found, "no such route");
    auto decoded = percent_decode(ctx.path);
    if (!decoded) return error_response(ctx, code::not_found, "no such file");
    const std::string& rel = *decoded;
    // Refuse anything that could climb out or confuse the filesystem, before touching it.
    if (rel.find('\\') != std::string::npos)
      return error_response(ctx, code::not_found, "no such file");
    for (std::size_t i = 0; i < rel.size();) {
      const auto end = rel.find('/', i);
      const auto seg =
          std::string_view(rel).substr(i, end == std::string::npos ? rel.size() - i : end - i);
      if (seg.starts_with('.'))  // "..", ".", and dotfiles (.env, .git/...) alike
        return error_response(ctx, code::not_found, "no such file");
      if (end == std::string::npos) break;
      i = end + 1;
    }
    fs::path file = root / fs::path(rel).relative_path();
    std::error_code e;
    bool spa = false;
    if (!fs::is_regular_file(file, e)) {
      // A client-side route gets the app: a browser navigation (Accept: text/html) or a path
      // without a file extension. A missing asset (script, image) is a real 404.
      const bool navigation = ctx.header("Accept").find("text/html") != std::string_view::npos;
      if (!navigation && fs::path(rel).has_extension() && rel != "/")
        return error_response(ctx, code::not_found, "no such file");
      file = root / "index.html";
      spa = true;
    }
    const fs::path real = fs::canonical(file, e);
    if (e || !within(root, real) || !fs::is_regular_file(real, e))
      return error_response(ctx, code::not_found, "no such file");
    std::ifstream in(real, std::ios::binary);
    std::ostringstream body;
    body << in.rdbuf();
    if (!in && !in.eof()) return error_response(ctx, code::not_found, "no such file");
    response res{bhttp::status::ok, ctx.req.version()};
    res.set(bhttp::field::content_type, mime_type(real));
    // Vite's hashed assets never change; index.html must be revalidated to pick up a new build.
    const bool hashed = rel.starts_with("/assets/");
    res.set(bhttp::field::cache_control,
            hashed && !spa ? "public, max-age=31536000, immutable" : "no-cache");
    res.set("Content-Security-Policy", dashboard_csp);
    res.set("X-Request-Id", ctx.request_id);
    res.body() = std::move(body).str();
    res.keep_alive(ctx.req.keep_alive());
    res.prepare_payload();
    return res;
  };
}

}  // namespace sesami::http
