#include "sigv4.hpp"

#include <algorithm>
#include <ctime>

#include <sesami/ascii.hpp>
#include <sesami/detail/iso8601.hpp>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

namespace sesami::aws {

namespace {
constexpr char hex_digits[] = "0123456789abcdef";
constexpr char upper_hex[] = "0123456789ABCDEF";

bool unreserved(unsigned char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool space(char c) noexcept { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Trims and collapses runs of whitespace to one space (the canonical header value).
std::string canonical_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  bool pending = false;
  for (char c : v) {
    if (space(c)) {
      pending = !out.empty();
      continue;
    }
    if (pending) out.push_back(' ');
    pending = false;
    out.push_back(c);
  }
  return out;
}

struct canon_headers {
  std::string block;    // "name:value\n" lines
  std::string signed_;  // "a;b;c"
};

// Groups by lower-cased name (values joined with ',' in the order received), sorted by name.
canon_headers canonicalize(const std::vector<std::pair<std::string, std::string>>& hs) {
  std::vector<std::pair<std::string, std::string>> sorted = hs;
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  canon_headers out;
  for (std::size_t i = 0; i < sorted.size();) {
    std::string line = sorted[i].first + ":" + sorted[i].second;
    std::size_t j = i + 1;
    for (; j < sorted.size() && sorted[j].first == sorted[i].first; ++j)
      line += "," + sorted[j].second;
    out.block += line + "\n";
    if (!out.signed_.empty()) out.signed_ += ';';
    out.signed_ += sorted[i].first;
    i = j;
  }
  return out;
}

std::string scope_string(std::string_view date8, const signing_scope& s) {
  std::string out(date8);
  out += '/';
  out += s.region;
  out += '/';
  out += s.service;
  out += "/aws4_request";
  return out;
}

// The signing key changes once a day per secret, region and service: a one-entry cache per
// thread saves four of the five HMACs of every signature. It holds the derived key (scoped to that
// day, region and service), never the secret itself — only the secret's SHA-256, to recognise it.
std::array<unsigned char, 32> cached_signing_key(std::string_view secret, std::string_view date8,
                                                 const signing_scope& scope) {
  struct entry {
    std::string secret_hash, date, region, service;
    std::array<unsigned char, 32> key{};
  };
  thread_local entry last;
  const std::string h = sha256_hex(secret);
  if (last.secret_hash == h && last.date == date8 && last.region == scope.region &&
      last.service == scope.service)
    return last.key;
  last = {h, std::string(date8), scope.region, scope.service,
          signing_key(secret, date8, scope.region, scope.service)};
  return last.key;
}

signature_parts compute(std::string_view method, std::string_view path, std::string_view query,
                        const canon_headers& ch, std::string_view payload_hash,
                        std::string_view amzdate, const signing_scope& scope,
                        std::string_view access_key, std::string_view secret, bool normalize) {
  signature_parts p;
  p.signed_headers = ch.signed_;
  p.canonical_request.reserve(256 + ch.block.size());
  p.canonical_request.append(method).append("\n");
  p.canonical_request.append(canonical_uri(path, normalize)).append("\n");
  p.canonical_request.append(canonical_query(query)).append("\n");
  p.canonical_request.append(ch.block).append("\n");
  p.canonical_request.append(ch.signed_).append("\n");
  p.canonical_request.append(payload_hash);
  const std::string date8(amzdate.substr(0, 8));
  const std::string scope_s = scope_string(date8, scope);
  p.string_to_sign = "AWS4-HMAC-SHA256\n";
  p.string_to_sign.append(amzdate).append("\n").append(scope_s).append("\n");
  p.string_to_sign += sha256_hex(p.canonical_request);
  const auto key = cached_signing_key(secret, date8, scope);
  const auto sig = hmac_sha256(
      std::string_view(reinterpret_cast<const char*>(key.data()), key.size()), p.string_to_sign);
  p.signature = hex(sig.data(), sig.size());
  p.authorization = "AWS4-HMAC-SHA256 Credential=";
  p.authorization.append(access_key).append("/").append(scope_s);
  p.authorization.append(", SignedHeaders=").append(ch.signed_);
  p.authorization.append(", Signature=").append(p.signature);
  return p;
}

std::optional<std::chrono::system_clock::time_point> parse_amz_date(std::string_view s) {
  // ISO 8601's basic format (20150830T123600Z), read with the core's digit and calendar helpers,
  // so an impossible date (month 13, 31 April) is refused rather than normalised.
  namespace iso = sesami::detail::iso;
  unsigned y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z' || !iso::digits(s, 0, 4, y) ||
      !iso::digits(s, 4, 2, mo) || !iso::digits(s, 6, 2, d) || !iso::digits(s, 9, 2, h) ||
      !iso::digits(s, 11, 2, mi) || !iso::digits(s, 13, 2, sec))
    return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 || d > sesami::detail::days_in_month(y, mo) || h > 23 || mi > 59 ||
      sec > 59)
    return std::nullopt;
  const std::int64_t days = sesami::detail::days_from_civil(y, mo, d);
  return std::chrono::system_clock::time_point(
      std::chrono::seconds(days * 86400 + std::int64_t{h} * 3600 + std::int64_t{mi} * 60 + sec));
}
}  // namespace

std::string hex(const unsigned char* p, std::size_t n) {
  std::string out(n * 2, '\0');
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = hex_digits[p[i] >> 4];
    out[2 * i + 1] = hex_digits[p[i] & 15];
  }
  return out;
}

std::string uri_encode(std::string_view s, bool keep_slash) {
  std::string out;
  out.reserve(s.size() * 3 / 2);
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (unreserved(c) || (keep_slash && c == '/')) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(upper_hex[c >> 4]);
      out.push_back(upper_hex[c & 15]);
    }
  }
  return out;
}

std::string uri_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      const int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

std::string form_encode(const std::vector<std::pair<std::string, std::string>>& params) {
  std::string out;
  for (const auto& [k, v] : params) {
    if (!out.empty()) out.push_back('&');
    out += uri_encode(k);
    out.push_back('=');
    out += uri_encode(v);
  }
  return out;
}

std::string sha256_hex(std::string_view data) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), md);
  return hex(md, sizeof md);
}

std::array<unsigned char, 32> hmac_sha256(std::string_view key, std::string_view data) {
  std::array<unsigned char, 32> out{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &len);
  return out;
}

std::array<unsigned char, 32> signing_key(std::string_view secret, std::string_view date8,
                                          std::string_view region, std::string_view service) {
  auto view = [](const std::array<unsigned char, 32>& a) {
    return std::string_view(reinterpret_cast<const char*>(a.data()), a.size());
  };
  std::string k = "AWS4";
  k += secret;
  auto k_date = hmac_sha256(k, date8);
  OPENSSL_cleanse(k.data(), k.size());
  auto k_region = hmac_sha256(view(k_date), region);
  auto k_service = hmac_sha256(view(k_region), service);
  return hmac_sha256(view(k_service), "aws4_request");
}

std::string amz_date(std::chrono::system_clock::time_point t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[17];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

std::string canonical_uri(std::string_view path, bool normalize) {
  if (path.empty()) return "/";
  if (!normalize) return uri_encode(path, true);
  std::vector<std::string_view> segs;
  std::size_t i = 0;
  while (i <= path.size()) {
    const auto j = std::min(path.find('/', i), path.size());
    const auto seg = path.substr(i, j - i);
    if (seg == "..") {
      if (!segs.empty()) segs.pop_back();
    } else if (!seg.empty() && seg != ".") {
      segs.push_back(seg);
    }
    i = j + 1;
  }
  std::string out = "/";
  for (std::size_t k = 0; k < segs.size(); ++k) {
    if (k) out.push_back('/');
    out += segs[k];
  }
  // A trailing slash is part of the resource ("/example/" is not "/example").
  const bool trailing = path.back() == '/';
  if (trailing && out.size() > 1) out.push_back('/');
  return uri_encode(out, true);
}

std::string canonical_query(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> pairs;
  std::size_t i = 0;
  while (i <= query.size() && !query.empty()) {
    const auto j = std::min(query.find('&', i), query.size());
    const auto piece = query.substr(i, j - i);
    if (!piece.empty()) {
      const auto eq = piece.find('=');
      const auto k = piece.substr(0, eq);
      const auto v = eq == std::string_view::npos ? std::string_view() : piece.substr(eq + 1);
      pairs.emplace_back(uri_encode(uri_decode(k)), uri_encode(uri_decode(v)));
    }
    i = j + 1;
  }
  std::sort(pairs.begin(), pairs.end());
  std::string out;
  for (const auto& [k, v] : pairs) {
    if (!out.empty()) out.push_back('&');
    out += k;
    out.push_back('=');
    out += v;
  }
  return out;
}

signature_parts sign(signable_request& req, const credentials& creds, const signing_scope& scope,
                     std::chrono::system_clock::time_point t, const sign_options& opt) {
  const std::string date = amz_date(t);
  const std::string payload_hash = sha256_hex(req.body);
  auto drop = [&](std::string_view name) {
    std::erase_if(req.headers, [&](const http_header& h) { return iequals(h.name, name); });
  };
  drop("authorization");
  drop("x-amz-date");
  req.headers.push_back({"X-Amz-Date", date});
  if (!creds.session_token.empty()) {
    drop("x-amz-security-token");
    req.headers.push_back({"X-Amz-Security-Token", creds.session_token});
  }
  if (opt.add_content_sha256) {
    drop("x-amz-content-sha256");
    req.headers.push_back({"x-amz-content-sha256", payload_hash});
  }
  std::vector<std::pair<std::string, std::string>> hs;
  hs.reserve(req.headers.size() + 1);
  bool has_host = false;
  for (const auto& h : req.headers) {
    auto name = ascii_lower(h.name);
    if (name == "host") has_host = true;
    hs.emplace_back(std::move(name), canonical_value(h.value));
  }
  if (!has_host) hs.emplace_back("host", req.host);
  auto parts = compute(req.method, req.path, req.query, canonicalize(hs), payload_hash, date, scope,
                       creds.access_key_id, creds.secret_access_key, opt.normalize_path);
  req.headers.push_back({"Authorization", parts.authorization});
  return parts;
}

bool sign_http(http_request& req, const credentials& creds, const signing_scope& scope,
               std::chrono::system_clock::time_point t, const sign_options& opt) {
  auto url = parse_url(req.url);
  if (!url) return false;
  signable_request s;
  s.method = req.method;
  s.host = url->host;
  s.path = url->path;
  s.query = url->query;
  s.headers = std::move(req.headers);
  s.body = std::move(req.body);
  sign(s, creds, scope, t, opt);
  req.headers = std::move(s.headers);
  req.body = std::move(s.body);
  return true;
}

std::optional<parsed_authorization> parse_authorization(std::string_view h) {
  constexpr std::string_view algo = "AWS4-HMAC-SHA256 ";
  if (!h.starts_with(algo)) return std::nullopt;
  h.remove_prefix(algo.size());
  parsed_authorization out;
  std::string_view credential, signed_headers, signature;
  while (!h.empty()) {
    while (!h.empty() && (h.front() == ' ' || h.front() == ',')) h.remove_prefix(1);
    const auto comma = h.find(',');
    const auto part = h.substr(0, comma);
    h = comma == std::string_view::npos ? std::string_view() : h.substr(comma);
    const auto eq = part.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    const auto k = part.substr(0, eq), v = part.substr(eq + 1);
    if (k == "Credential")
      credential = v;
    else if (k == "SignedHeaders")
      signed_headers = v;
    else if (k == "Signature")
      signature = v;
  }
  if (credential.empty() || signed_headers.empty() || signature.size() != 64) return std::nullopt;
  // AKID/yyyymmdd/region/service/aws4_request
  std::vector<std::string_view> parts;
  for (std::size_t i = 0;;) {
    const auto j = credential.find('/', i);
    parts.push_back(credential.substr(i, j == std::string_view::npos ? j : j - i));
    if (j == std::string_view::npos) break;
    i = j + 1;
  }
  if (parts.size() != 5 || parts[4] != "aws4_request" || parts[1].size() != 8) return std::nullopt;
  out.access_key_id = parts[0];
  out.date = parts[1];
  out.region = parts[2];
  out.service = parts[3];
  for (std::size_t i = 0;;) {
    const auto j = signed_headers.find(';', i);
    out.signed_headers.emplace_back(
        signed_headers.substr(i, j == std::string_view::npos ? j : j - i));
    if (j == std::string_view::npos) break;
    i = j + 1;
  }
  out.signature = signature;
  return out;
}

std::string_view to_id(verify_result v) noexcept {
  switch (v) {
    case verify_result::ok:
      return "ok";
    case verify_result::missing:
      return "MissingAuthenticationToken";
    case verify_result::malformed:
      return "IncompleteSignature";
    case verify_result::unknown_key:
      return "InvalidClientTokenId";
    case verify_result::bad_signature:
      return "SignatureDoesNotMatch";
    case verify_result::stale:
      return "RequestExpired";
  }
  return "unknown";
}

namespace detail {
verify_result verify_with(const signable_request& received,
                          const std::optional<std::string>& secret,
                          const parsed_authorization& auth,
                          std::chrono::system_clock::time_point now, const sign_options& opt) {
  if (!secret) return verify_result::unknown_key;
  std::string_view date;
  for (const auto& h : received.headers)
    if (iequals(h.name, "x-amz-date")) date = h.value;
  const auto when = parse_amz_date(date);
  if (!when || date.substr(0, 8) != auth.date) return verify_result::malformed;
  const auto skew = now > *when ? now - *when : *when - now;
  if (skew > opt.max_skew) return verify_result::stale;
  if (std::find(auth.signed_headers.begin(), auth.signed_headers.end(), "host") ==
      auth.signed_headers.end())
    return verify_result::malformed;
  std::vector<std::pair<std::string, std::string>> hs;
  for (const auto& name : auth.signed_headers) {
    bool found = false;
    for (const auto& h : received.headers) {
      if (!iequals(h.name, name)) continue;
      hs.emplace_back(name, canonical_value(h.value));
      found = true;
    }
    if (!found && name == "host") {
      hs.emplace_back("host", received.host);
      found = true;
    }
    if (!found) return verify_result::malformed;
  }
  // The body is what the signature covers: its hash is computed here, never taken on trust
  // (a claimed x-amz-content-sha256, UNSIGNED-PAYLOAD included, must be that hash).
  const auto body_hash = sha256_hex(received.body);
  for (const auto& h : received.headers)
    if (iequals(h.name, "x-amz-content-sha256") && h.value != body_hash)
      return verify_result::bad_signature;
  const auto parts =
      compute(received.method, received.path, received.query, canonicalize(hs), body_hash, date,
              {auth.region, auth.service}, auth.access_key_id, *secret, opt.normalize_path);
  if (parts.signature.size() != auth.signature.size() ||
      CRYPTO_memcmp(parts.signature.data(), auth.signature.data(), parts.signature.size()) != 0)
    return verify_result::bad_signature;
  return verify_result::ok;
}
}  // namespace detail

}  // namespace sesami::aws
