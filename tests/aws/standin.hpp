#pragma once
// The Node stand-ins (tests/aws/standins/: STS, SQS, SES suppression + GetAccount, each request's
// SigV4 signature verified) started for one test with a config, on a free loopback port.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "loopback.hpp"

namespace sesami::test {

class standins {
 public:
  explicit standins(const boost::json::object& config);
  const std::string& base() const { return base_; }
  /// GET /_admin/state
  boost::json::object state() const;
  /// POST /_admin/<path> with a JSON body (faults, suppressions) or PUT /_admin/config.
  void admin(const std::string& method, const std::string& path,
             const boost::json::value& body) const;
  /// Calls of "service.Action" so far.
  std::int64_t calls(const std::string& name) const;

 private:
  temp_dir dir_;
  std::unique_ptr<child_process> proc_;
  std::string base_;
};

/// SESami's own test identity, known to the stand-ins.
inline constexpr const char* own_key_id = "AKIASESAMITEST000001";
inline constexpr const char* own_secret = "sesami/own/secret/key/for/tests/only0000";
inline constexpr const char* own_account = "111122223333";
inline constexpr const char* customer_role = "arn:aws:iam::444455556666:role/SesamiAccess";

/// A config with SESami's key and the customer's role trusting SESami's account with `external_id`.
boost::json::object standin_config(const std::string& external_id);

/// The environment of a `sesami` process that reaches AWS only through `aws`: SESami's own test
/// key, and every other credential source (profile files under `dir`, instance and container
/// metadata) turned off, so nothing on the machine can answer instead of the stand-ins.
inline std::vector<std::string> sesami_env(const standins& aws, const std::filesystem::path& dir) {
  const std::string none = (dir / "none").string();
  return {std::string("AWS_ACCESS_KEY_ID=") + own_key_id,
          std::string("AWS_SECRET_ACCESS_KEY=") + own_secret,
          "AWS_SESSION_TOKEN=",
          "AWS_PROFILE=",
          "AWS_SHARED_CREDENTIALS_FILE=" + none,
          "AWS_CONFIG_FILE=" + none,
          "AWS_EC2_METADATA_DISABLED=true",
          "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=",
          "AWS_CONTAINER_CREDENTIALS_FULL_URI=",
          "SESAMI_AWS_STS_ENDPOINT=" + aws.base(),
          "SESAMI_AWS_SES_ENDPOINT=" + aws.base()};
}

}  // namespace sesami::test
