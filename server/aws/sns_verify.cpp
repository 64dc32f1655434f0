#include "sns_verify.hpp"

#include "../app/private_files.hpp"
#include "amazon_intermediates.hpp"
#include "http_client.hpp"

#include <fstream>
#include <sstream>
#include <system_error>
#include <vector>

#include <curl/curl.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

namespace sesami::aws {
namespace fs = std::filesystem;

namespace {
sns_failure fail(sns_error c, std::string m) { return {c, std::move(m)}; }

bool region_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

// Splits an https URL into host and the rest (path + query); nullopt when it is not https, has
// credentials, a port, or a host that is not exactly sns.<region>.amazonaws.com[.cn].
std::optional<std::pair<std::string_view, std::string_view>> sns_url(std::string_view url) {
  constexpr std::string_view scheme = "https://";
  if (!url.starts_with(scheme)) return std::nullopt;
  url.remove_prefix(scheme.size());
  const auto slash = url.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  const auto host = url.substr(0, slash);
  std::string_view region = host;
  if (!region.starts_with("sns.")) return std::nullopt;
  region.remove_prefix(4);
  if (region.ends_with(".amazonaws.com"))
    region.remove_suffix(std::string_view(".amazonaws.com").size());
  else if (region.ends_with(".amazonaws.com.cn"))
    region.remove_suffix(std::string_view(".amazonaws.com.cn").size());
  else
    return std::nullopt;
  // Only letters, digits and dashes: no dots (sns.evil.com.amazonaws.com is not a region),
  // no '@' (credentials), no ':' (ports).
  if (region.empty() || region.size() > 32) return std::nullopt;
  for (char c : region)
    if (!region_char(c)) return std::nullopt;
  return std::pair{host, url.substr(slash)};
}

struct curl_global {
  curl_global() { curl_global_init(CURL_GLOBAL_DEFAULT); }
};

std::size_t collect(char* p, std::size_t size, std::size_t n, void* out) {
  auto* s = static_cast<std::string*>(out);
  if (s->size() + size * n > (256u << 10)) return 0;  // nothing SNS serves is this large
  s->append(p, size * n);
  return size * n;
}

std::optional<std::string> base64_decode(std::string_view in) {
  if (in.empty() || in.size() % 4 != 0) return std::nullopt;
  std::string out(in.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()),
                                static_cast<int>(in.size()));
  if (n < 0) return std::nullopt;
  std::size_t pad = 0;
  if (in.back() == '=') ++pad;
  if (in.size() > 1 && in[in.size() - 2] == '=') ++pad;
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}
}  // namespace

std::string_view to_id(sns_error e) noexcept {
  switch (e) {
    case sns_error::missing_field:
      return "sns.missing_field";
    case sns_error::unknown_type:
      return "sns.unknown_type";
    case sns_error::bad_version:
      return "sns.bad_signature_version";
    case sns_error::version_refused:
      return "sns.signature_version_refused";
    case sns_error::cert_url_refused:
      return "sns.cert_refused";
    case sns_error::cert_unavailable:
      return "sns.cert_unavailable";
    case sns_error::bad_cert:
      return "sns.bad_cert";
    case sns_error::bad_signature:
      return "sns.bad_signature";
    case sns_error::confirm_failed:
      return "sns.confirm_failed";
  }
  return "sns.bad_signature";
}

std::optional<std::string> string_to_sign(const sesami::sns_envelope& m) {
  std::string s;
  auto add = [&](std::string_view k, std::string_view v) {
    s.append(k).push_back('\n');
    s.append(v).push_back('\n');
  };
  if (m.type == "Notification") {
    if (m.message_id.empty() || m.timestamp.empty() || m.topic_arn.empty()) return std::nullopt;
    add("Message", m.message);
    add("MessageId", m.message_id);
    if (m.subject) add("Subject", *m.subject);  // absent: not signed at all; empty: signed empty
    add("Timestamp", m.timestamp);
    add("TopicArn", m.topic_arn);
    add("Type", m.type);
    return s;
  }
  if (m.type == "SubscriptionConfirmation" || m.type == "UnsubscribeConfirmation") {
    if (m.message_id.empty() || m.timestamp.empty() || m.topic_arn.empty() ||
        m.subscribe_url.empty() || m.token.empty())
      return std::nullopt;
    add("Message", m.message);
    add("MessageId", m.message_id);
    add("SubscribeURL", m.subscribe_url);
    add("Timestamp", m.timestamp);
    add("Token", m.token);
    add("TopicArn", m.topic_arn);
    add("Type", m.type);
    return s;
  }
  return std::nullopt;
}

std::optional<std::string> cert_file_name(std::string_view url) {
  const auto u = sns_url(url);
  if (!u) return std::nullopt;
  std::string_view path = u->second;
  path.remove_prefix(1);  // the '/'
  if (path.size() < 5 || !path.ends_with(".pem") || path.front() == '.') return std::nullopt;
  for (char c : path)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_' || c == '.'))
      return std::nullopt;  // also rules out '/', '?', '#', '%', '..' sequences stay a plain name
  if (path.find("..") != std::string_view::npos) return std::nullopt;
  return std::string(path);
}

bool sns_host_url(std::string_view url) { return sns_url(url).has_value(); }

std::optional<std::string_view> topic_account(std::string_view arn) noexcept {
  // arn:<partition>:sns:<region>:<account>:<name>
  std::string_view part[6];
  for (int i = 0; i < 5; ++i) {
    const auto colon = arn.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    part[i] = arn.substr(0, colon);
    arn.remove_prefix(colon + 1);
  }
  part[5] = arn;
  if (part[0] != "arn" || !part[1].starts_with("aws") || part[2] != "sns" || part[3].empty() ||
      part[5].empty() || part[4].size() != 12)
    return std::nullopt;
  for (char c : part[3])
    if (!region_char(c)) return std::nullopt;
  for (char c : part[4])
    if (c < '0' || c > '9') return std::nullopt;
  return part[4];
}

namespace {
struct x509_deleter {
  void operator()(X509* x) const noexcept { X509_free(x); }
};
using x509_ptr = std::unique_ptr<X509, x509_deleter>;

// Every certificate in a PEM text, in order (none when it does not parse).
std::vector<x509_ptr> read_pem_certs(std::string_view pem) {
  std::vector<x509_ptr> out;
  if (pem.empty()) return out;
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  while (X509* x = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) out.emplace_back(x);
  ERR_clear_error();  // the end of the text reads as an error
  BIO_free(bio);
  return out;
}

std::string name_of(const X509_NAME* n) {
  char buf[256];
  X509_NAME_oneline(n, buf, sizeof buf);
  return buf;
}
}  // namespace

boost::system::result<void, sns_failure> check_signing_certificate(
    std::string_view pem, std::string_view url_host, std::string_view extra_intermediates_pem) {
  auto certs = read_pem_certs(pem);
  if (certs.empty()) return fail(sns_error::bad_cert, "the signing certificate does not parse");
  X509* leaf = certs.front().get();
  if (X509_check_host(leaf, "sns.amazonaws.com", 0, 0, nullptr) != 1 &&
      (url_host.empty() ||
       X509_check_host(leaf, url_host.data(), url_host.size(), 0, nullptr) != 1))
    return fail(
        sns_error::bad_cert,
        "the signing certificate is not issued to sns.amazonaws.com or " + std::string(url_host));

  // Untrusted helpers for path building: whatever followed the leaf in its PEM, Amazon's bundled
  // intermediates, the operator's extra ones. Each still has to be signed by its issuer up to a
  // root of the system store, so none of them adds trust by being here.
  auto bundled = read_pem_certs(detail::amazon_sns_intermediates_pem);
  auto operator_extra = read_pem_certs(extra_intermediates_pem);
  STACK_OF(X509)* chain = sk_X509_new_null();
  for (std::size_t i = 1; i < certs.size(); ++i) sk_X509_push(chain, certs[i].get());
  for (auto& c : bundled) sk_X509_push(chain, c.get());
  for (auto& c : operator_extra) sk_X509_push(chain, c.get());

  X509_STORE* store = X509_STORE_new();
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  int ok = 0, err = X509_V_ERR_UNSPECIFIED;
  // The system's roots (ca-certificates; SSL_CERT_DIR / SSL_CERT_FILE are honoured).
  if (store && ctx && X509_STORE_set_default_paths(store) == 1 &&
      X509_STORE_CTX_init(ctx, store, leaf, chain) == 1) {
    // No time checks: SNS signs with a certificate for its whole life and the message names its
    // own (signed) Timestamp, so a genuine message stays genuine after its certificate — or the
    // expired Amazon Server CA 1B above it — has expired; a replay is a duplicate, dropped. A
    // check at "now" would refuse genuine redeliveries and every cached certificate of an offline
    // machine once it expires; a check at the message's Timestamp adds nothing against a stolen
    // key, whose holder picks the Timestamp. Revocation (CRL/OCSP) is not checked: offline.
    X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_NO_CHECK_TIME);
    ok = X509_verify_cert(ctx);
    err = X509_STORE_CTX_get_error(ctx);
  }
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  sk_X509_free(chain);  // the certificates themselves are owned by the vectors
  ERR_clear_error();
  if (ok != 1)
    return fail(sns_error::bad_cert, "the signing certificate does not chain to a trusted root (" +
                                         std::string(X509_verify_cert_error_string(err)) +
                                         "; issuer " + name_of(X509_get_issuer_name(leaf)) + ")");
  return {};
}

struct sns_verifier::key {
  EVP_PKEY* pkey = nullptr;
  ~key() { EVP_PKEY_free(pkey); }
};

struct sns_verifier::flight {
  bool done = false;
  key_result result = sns_failure{sns_error::cert_unavailable, "not loaded yet"};
};

sns_verifier::sns_verifier(sns_verifier_options opt) : opt_(std::move(opt)) {
  static curl_global once;
  (void)once;
}
sns_verifier::~sns_verifier() = default;

boost::system::result<std::string, sns_failure> sns_verifier::https_get(std::string_view url) {
  const auto u = sns_url(url);
  if (!u) return fail(sns_error::cert_url_refused, "not an SNS URL");
  CURL* c = curl_easy_init();
  if (!c) return fail(sns_error::cert_unavailable, "libcurl could not start");
  std::string body;
  const std::string url_s(url);
  curl_slist* connect_to = nullptr;
  curl_easy_setopt(c, CURLOPT_URL, url_s.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);  // a redirect could lead off the SNS host
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, opt_.fetch_timeout_ms);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!opt_.extra_ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, opt_.extra_ca_file.c_str());
  if (!opt_.connect_to.empty()) {
    const std::string rule = std::string(u->first) + ":443:" + opt_.connect_to;
    connect_to = curl_slist_append(nullptr, rule.c_str());
    curl_easy_setopt(c, CURLOPT_CONNECT_TO, connect_to);
  }
  const CURLcode rc = curl_easy_perform(c);
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(c);
  curl_slist_free_all(connect_to);
  if (rc != CURLE_OK)
    return fail(sns_error::cert_unavailable,
                std::string("fetch failed: ") + curl_easy_strerror(rc));
  if (status != 200)
    return fail(sns_error::cert_unavailable, "fetch answered HTTP " + std::to_string(status));
  return body;
}

sns_cert_stats sns_verifier::cert_stats() const noexcept {
  return {fetches_.load(), shared_fetches_.load(), remembered_failures_.load()};
}

sns_verifier::key_result sns_verifier::key_for(std::string_view url) {
  const auto name = cert_file_name(url);
  if (!name)
    return fail(sns_error::cert_url_refused,
                "SigningCertURL must be https://sns.<region>.amazonaws.com/<name>.pem");
  std::shared_ptr<flight> f;
  {
    std::unique_lock lock(mu_);
    if (auto it = cache_.find(url); it != cache_.end()) return it->second;
    const auto now = std::chrono::steady_clock::now();
    if (auto it = failed_.find(url); it != failed_.end()) {
      if (now < it->second.until) {
        ++remembered_failures_;
        return it->second.failure;
      }
      failed_.erase(it);
    }
    if (auto it = in_flight_.find(url); it != in_flight_.end()) {
      // Someone is loading it: wait for that answer rather than fetch the same URL again.
      ++shared_fetches_;
      auto mine = it->second;
      landed_.wait(lock, [&] { return mine->done; });
      return mine->result;
    }
    f = std::make_shared<flight>();
    in_flight_.emplace(std::string(url), f);
  }
  // Not under the lock: a fetch may take seconds and other certificates must stay usable.
  bool fetched = false;
  key_result r = sns_failure{sns_error::cert_unavailable, "the certificate could not be loaded"};
  try {
    r = load_key(url, *name, fetched);
  } catch (...) {
    // Release the waiters (with the default failure) before the exception goes on.
    std::lock_guard lock(mu_);
    in_flight_.erase(std::string(url));
    f->result = r;
    f->done = true;
    landed_.notify_all();
    throw;
  }
  {
    std::lock_guard lock(mu_);
    in_flight_.erase(std::string(url));
    if (r) {
      cache_.emplace(std::string(url), *r);
    } else if (fetched && opt_.failure_ttl_ms > 0) {
      // A failed fetch (unreachable, refused, not a trusted certificate) is answered from memory
      // for a while: SNS retries later anyway, and no worker waits on the same dead URL again.
      // Failures of the certificate directory alone are not kept: an operator may fix the file.
      // Bounded: whoever holds an ingest URL can name many certificate files.
      constexpr std::size_t max_remembered = 1024;
      const auto now = std::chrono::steady_clock::now();
      if (failed_.size() >= max_remembered)
        std::erase_if(failed_, [&](const auto& kv) { return kv.second.until <= now; });
      if (failed_.size() >= max_remembered) failed_.erase(failed_.begin());
      auto remembered = r.error();
      remembered.message += " (remembered for " +
                            std::to_string((opt_.failure_ttl_ms + 999) / 1000) +
                            " s before the next attempt)";
      failed_.insert_or_assign(
          std::string(url),
          remembered_failure{now + std::chrono::milliseconds(opt_.failure_ttl_ms), remembered});
    }
    f->result = r;
    f->done = true;
  }
  landed_.notify_all();
  return r;
}

sns_verifier::key_result sns_verifier::load_key(std::string_view url, const std::string& file_name,
                                                bool& fetched) {
  std::string pem;
  bool from_disk = false;
  if (!opt_.cert_dir.empty()) {
    std::ifstream in(opt_.cert_dir / file_name, std::ios::binary);
    if (in) {
      std::ostringstream ss;
      ss << in.rdbuf();
      pem = std::move(ss).str();
      from_disk = true;
    }
  }
  if (!from_disk) {
    if (!opt_.allow_fetch)
      return fail(sns_error::cert_unavailable, "certificate " + file_name + " is not in the cache");
    fetched = true;
    ++fetches_;
    auto got = opt_.fetch ? opt_.fetch(url) : https_get(url);
    if (!got) return got.error();
    pem = std::move(*got);
  }

  // Exactly a PEM certificate, nothing wrapped around it.
  std::size_t start = pem.find_first_not_of(" \t\r\n");
  if (start == std::string::npos ||
      std::string_view(pem).substr(start).rfind("-----BEGIN CERTIFICATE-----", 0) != 0)
    return fail(sns_error::bad_cert, "the signing certificate is not an X.509 PEM certificate");
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (!cert) return fail(sns_error::bad_cert, "the signing certificate does not parse");

  // Trust: the chain to a system root through Amazon's intermediates and the SNS name; or, in
  // tests only, issued by the test CA (whatever its name).
  std::string extra;
  if (!opt_.cert_dir.empty()) {
    std::ifstream in(opt_.cert_dir / "intermediates.crt", std::ios::binary);
    if (in) {
      std::ostringstream ss;
      ss << in.rdbuf();
      extra = std::move(ss).str();
    }
  }
  auto trusted = check_signing_certificate(pem, sns_url(url)->first, extra);
  if (!trusted && !opt_.extra_ca_file.empty()) {
    X509_STORE* store = X509_STORE_new();
    X509_STORE_CTX* ctx = X509_STORE_CTX_new();
    if (store && ctx && X509_STORE_load_file(store, opt_.extra_ca_file.c_str()) == 1 &&
        X509_STORE_CTX_init(ctx, store, cert, nullptr) == 1) {
      X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_NO_CHECK_TIME);
      if (X509_verify_cert(ctx) == 1) trusted = boost::system::result<void, sns_failure>();
    }
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
  }
  if (!trusted) {
    X509_free(cert);
    return trusted.error();
  }
  auto k = std::make_shared<key>();
  k->pkey = X509_get_pubkey(cert);
  X509_free(cert);
  if (!k->pkey || EVP_PKEY_base_id(k->pkey) != EVP_PKEY_RSA)
    return fail(sns_error::bad_cert, "the signing certificate has no RSA key");

  if (!from_disk && !opt_.cert_dir.empty()) {
    // Owner-only, written then renamed: a crash never leaves a truncated certificate behind.
    if (!app::create_private_directory(opt_.cert_dir))
      (void)app::write_private_file(opt_.cert_dir / file_name, pem);
  }
  return k;
}

boost::system::result<void, sns_failure> sns_verifier::verify(const sesami::sns_envelope& m) {
  const EVP_MD* md = nullptr;
  if (m.signature_version == "1")
    md = EVP_sha1();
  else if (m.signature_version == "2")
    md = EVP_sha256();
  else
    return fail(sns_error::bad_version, "SignatureVersion must be 1 or 2");
  if (m.signature_version == "1" && opt_.min_signature_version >= 2)
    return fail(sns_error::version_refused,
                "SignatureVersion 1 (SHA1) is refused by this server: set the topic's "
                "SignatureVersion attribute to 2 (SHA256)");
  const auto text = string_to_sign(m);
  if (!text) {
    if (m.type != "Notification" && m.type != "SubscriptionConfirmation" &&
        m.type != "UnsubscribeConfirmation")
      return fail(sns_error::unknown_type, "unknown SNS message Type");
    return fail(sns_error::missing_field, "the SNS message lacks a field its signature covers");
  }
  const auto sig = base64_decode(m.signature);
  if (!sig) return fail(sns_error::bad_signature, "Signature is not base64");
  auto k = key_for(m.signing_cert_url);
  if (!k) return k.error();

  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  int ok = 0;
  if (ctx && EVP_DigestVerifyInit(ctx, nullptr, md, nullptr, (*k)->pkey) == 1)
    ok = EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig->data()), sig->size(),
                          reinterpret_cast<const unsigned char*>(text->data()), text->size());
  EVP_MD_CTX_free(ctx);
  if (ok != 1)
    return fail(sns_error::bad_signature, "the SNS signature does not match the message");
  return {};
}

boost::system::result<void, sns_failure> sns_verifier::confirm(const sesami::sns_envelope& m) {
  if (!sns_host_url(m.subscribe_url))
    return fail(sns_error::cert_url_refused,
                "SubscribeURL must be https://sns.<region>.amazonaws.com/...; not called");
  // Under the outbound-URL policy (the SNS name must resolve to a public address; the connection
  // is pinned to the address checked), on a client of its own: confirmations are rare.
  http_client_options ho;
  ho.ca_file = opt_.extra_ca_file;
  http_client http(ho);
  http_request req;
  req.url = m.subscribe_url;
  req.timeout_ms = opt_.fetch_timeout_ms;
  req.connect_to = opt_.connect_to;
  req.policy = outbound_policy{opt_.allow_private_targets};
  auto got = http.perform(req);
  if (!got)
    return fail(got.error().refused ? sns_error::cert_url_refused : sns_error::confirm_failed,
                "SubscribeURL not called: " + got.error().message);
  if (got->status != 200)
    return fail(sns_error::confirm_failed,
                "SubscribeURL answered HTTP " + std::to_string(got->status));
  return {};
}

}  // namespace sesami::aws
