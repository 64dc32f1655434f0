#pragma once
// SNS message authenticity
// (https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html): the string to
// sign for each message type, the SigningCertURL policy (https://sns.<region>.
// amazonaws.com[.cn]/<name>.pem, nothing else is ever fetched), certificates cached in memory and
// in a directory (one file per certificate, named as in its URL) so restarts and offline machines
// verify without fetching, and SubscribeURL confirmation under the same host policy.
//
// Trust: a certificate (fetched from that host over verified TLS, or read from the certificate
// directory) is used only when it chains to a root of the system trust store through Amazon's
// published intermediates (bundled: amazon_intermediates.hpp; more may be put in
// <cert-dir>/intermediates.crt) and names sns.amazonaws.com or the URL's sns.<region> host.
// Validity times are deliberately not checked — a genuine message stays genuine after its
// certificate expires (replays are harmless: they are deduplicated); see check_signing_certificate.
//
// Cost: every check that needs no certificate (SignatureVersion, the fields the type signs, the
// Signature's encoding, the SigningCertURL's shape) runs before one is loaded; concurrent requests
// for a certificate not yet cached share one fetch; a failed fetch is remembered for
// failure_ttl_ms, so a dead or hostile certificate URL blocks no worker again and again.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include <boost/system/result.hpp>

#include <sesami/parse.hpp>

namespace sesami::aws {

enum class sns_error {
  missing_field,  // the envelope lacks a field its type signs
  unknown_type,   // Type is none of Notification, SubscriptionConfirmation, UnsubscribeConfirmation
  bad_version,    // SignatureVersion other than 1 or 2
  version_refused,   // SignatureVersion below the configured minimum (1 when 2 is required)
  cert_url_refused,  // SigningCertURL / SubscribeURL outside the allowed pattern: never fetched
  cert_unavailable,  // the certificate could not be fetched now (retry later)
  bad_cert,          // not a certificate, or not one SNS signs with
  bad_signature,     // the signature does not match
  confirm_failed,    // the SubscribeURL call failed
};

struct sns_failure {
  sns_error code;
  std::string message;
};
std::string_view to_id(sns_error e) noexcept;
/// For test diagnostics and logs.
inline std::ostream& operator<<(std::ostream& os, const sns_failure& f) {
  return os << to_id(f.code) << ": " << f.message;
}

/// GETs a certificate URL (already policy-checked): the body, or a cert_unavailable failure.
using sns_fetcher =
    std::function<boost::system::result<std::string, sns_failure>(std::string_view url)>;

struct sns_verifier_options {
  std::filesystem::path cert_dir;  // empty: memory cache only
  bool allow_fetch = true;         // false: only certificates already in cert_dir are used
  long fetch_timeout_ms = 5000;
  /// 2: SignatureVersion 1 (SHA1withRSA) is refused (`serve --sns-min-signature-version 2`).
  int min_signature_version = 1;
  /// How long a failed fetch of a certificate URL is answered from memory (0: not remembered).
  long failure_ttl_ms = 60000;
  /// The outbound-URL policy's operator switch for SubscribeURL confirmations (outbound_url.hpp):
  /// false refuses a SubscribeURL whose host resolves to a loopback or private address.
  bool allow_private_targets = false;
  // ---- test-only: lets tests sign with their own CA and serve "SNS" from loopback
  // ----------------
  std::string extra_ca_file;  // PEM: certificates issued by it are accepted whatever their name,
                              // and it is trusted for HTTPS fetches and confirmations
  std::string connect_to;     // "HOST:PORT": connect there instead of sns.<region>.amazonaws.com
  /// Replaces the HTTPS GET of certificates (tests count, fail or hold fetches with it); empty:
  /// libcurl over verified TLS. SubscribeURL confirmations always use libcurl.
  sns_fetcher fetch;
};

/// The exact bytes SNS signs, per message type; nullopt when a required field is missing or the
/// type is unknown.
std::optional<std::string> string_to_sign(const sesami::sns_envelope& m);

/// The certificate file name when `url` is an allowed SigningCertURL, else nullopt.
std::optional<std::string> cert_file_name(std::string_view url);
/// True when `url` is an https://sns.<region>.amazonaws.com[.cn]/ URL (the SubscribeURL policy).
bool sns_host_url(std::string_view url);

/// The account of an SNS topic ARN (arn:<partition>:sns:<region>:<12 digits>:<name>); nullopt for
/// anything else.
std::optional<std::string_view> topic_account(std::string_view topic_arn) noexcept;

/// What the certificate cache did, for tests and metrics.
struct sns_cert_stats {
  std::uint64_t fetches = 0;              // certificate URLs fetched (or tried)
  std::uint64_t shared_fetches = 0;       // requests that waited for a fetch already in flight
  std::uint64_t remembered_failures = 0;  // requests answered by a remembered failed fetch
};

/// Whether `pem` (the leaf, possibly followed by intermediates) may sign SNS messages whose
/// SigningCertURL is on `url_host`: it names sns.amazonaws.com or `url_host`, and X509_verify_cert
/// builds a chain from it to a root of the system trust store, with the bundled Amazon
/// intermediates and `extra_intermediates_pem` as untrusted helpers; times are not checked.
boost::system::result<void, sns_failure> check_signing_certificate(
    std::string_view pem, std::string_view url_host, std::string_view extra_intermediates_pem = {});

class sns_verifier {
 public:
  explicit sns_verifier(sns_verifier_options opt);
  ~sns_verifier();
  sns_verifier(const sns_verifier&) = delete;
  sns_verifier& operator=(const sns_verifier&) = delete;

  /// Checks the signature of an envelope. Thread-safe; certificates are loaded once. Every check
  /// that needs no certificate comes first: a message failing one never causes a fetch.
  boost::system::result<void, sns_failure> verify(const sesami::sns_envelope& m);

  /// Confirms a subscription by GETting its SubscribeURL (policy-checked; never another host).
  boost::system::result<void, sns_failure> confirm(const sesami::sns_envelope& m);

  sns_cert_stats cert_stats() const noexcept;

 private:
  struct key;
  struct flight;  // one certificate load in progress, awaited by every request that needs it
  struct remembered_failure {
    std::chrono::steady_clock::time_point until;
    sns_failure failure;
  };
  using key_result = boost::system::result<std::shared_ptr<key>, sns_failure>;
  key_result key_for(std::string_view url);
  key_result load_key(std::string_view url, const std::string& file_name, bool& fetched);
  boost::system::result<std::string, sns_failure> https_get(std::string_view url);
  sns_verifier_options opt_;
  std::mutex mu_;
  std::condition_variable landed_;  // a flight finished
  std::map<std::string, std::shared_ptr<key>, std::less<>> cache_;
  std::map<std::string, std::shared_ptr<flight>, std::less<>> in_flight_;
  std::map<std::string, remembered_failure, std::less<>> failed_;
  std::atomic<std::uint64_t> fetches_{0}, shared_fetches_{0}, remembered_failures_{0};
};

}  // namespace sesami::aws
