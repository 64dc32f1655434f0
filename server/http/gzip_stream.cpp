#include "gzip_stream.hpp"

#include <zlib.h>

#include <cstdlib>
#include <stdexcept>
#include <utility>

#include <sesami/ascii.hpp>

namespace sesami::http {

bool accepts_gzip(std::string_view header) {
  bool gzip = false, gzip_refused = false, any = false;
  std::size_t start = 0;
  while (start <= header.size()) {
    const std::size_t comma = header.find(',', start);
    std::string_view item = header.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    start = comma == std::string_view::npos ? header.size() + 1 : comma + 1;
    const std::size_t semi = item.find(';');
    std::string_view coding = item.substr(0, semi);
    auto trim = [](std::string_view v) {
      while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
      while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
      return v;
    };
    coding = trim(coding);
    bool zero = false;  // q=0 (or 0.0, 0.000): "not acceptable"
    if (semi != std::string_view::npos) {
      std::string_view params = trim(item.substr(semi + 1));
      if (params.size() >= 2 && (params[0] == 'q' || params[0] == 'Q') && params[1] == '=') {
        const std::string_view q = trim(params.substr(2));
        zero = !q.empty() && q.find_first_not_of("0.") == std::string_view::npos;
      }
    }
    const std::string name = ascii_lower(coding);
    if (name == "gzip" || name == "x-gzip") (zero ? gzip_refused : gzip) = true;
    if (name == "*" && !zero) any = true;
  }
  return gzip || (any && !gzip_refused);
}

namespace {

class gzip_body final : public body_stream {
 public:
  explicit gzip_body(std::shared_ptr<body_stream> inner) : inner_(std::move(inner)) {
    // 15 window bits + 16: a gzip header and trailer instead of zlib's; memLevel 8 (~256 KiB of
    // state). Level 1: JSON Lines still shrink ~8x, at several times level 6's speed, so the
    // compression keeps up with the store (docs/performance.md, "Issue #21 — export").
    if (deflateInit2(&z_, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
      throw std::runtime_error("zlib: deflateInit2 failed");
  }
  ~gzip_body() override { deflateEnd(&z_); }
  gzip_body(const gzip_body&) = delete;
  gzip_body& operator=(const gzip_body&) = delete;

  bool next(std::string& out) override {
    out.clear();
    if (done_) return false;
    const bool more = inner_->next(plain_);
    if (!more && inner_->failed()) {
      failed_ = true;
      return false;
    }
    deflate_into(out, more ? Z_SYNC_FLUSH : Z_FINISH);
    if (!more) done_ = true;
    return true;  // the trailer of the last piece still has to go out
  }
  bool failed() const noexcept override { return failed_; }

 private:
  void deflate_into(std::string& out, int flush) {
    z_.next_in = reinterpret_cast<Bytef*>(plain_.data());
    z_.avail_in = static_cast<uInt>(plain_.size());
    int rc = Z_OK;
    do {
      const std::size_t used = out.size();
      const std::size_t room = 64 * 1024;
      out.resize(used + room);
      z_.next_out = reinterpret_cast<Bytef*>(out.data() + used);
      z_.avail_out = static_cast<uInt>(room);
      rc = deflate(&z_, flush);
      if (rc == Z_STREAM_ERROR) throw std::runtime_error("zlib: deflate failed");
      out.resize(used + room - z_.avail_out);
    } while (z_.avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
    plain_.clear();
  }

  std::shared_ptr<body_stream> inner_;
  z_stream z_{};
  std::string plain_;
  bool done_ = false;
  bool failed_ = false;
};

}  // namespace

std::shared_ptr<body_stream> gzip_stream(std::shared_ptr<body_stream> inner) {
  return std::make_shared<gzip_body>(std::move(inner));
}

}  // namespace sesami::http
