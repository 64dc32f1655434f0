// Fuzz target for the SNS signature check: any bytes through parse_sns_envelope, the string to
// sign, the SigningCertURL and SubscribeURL policies and verify() against a fixed certificate
// directory (the genuine AWS certificate from tests/server/fixtures/sns-real; fetching off, so no
// network). Never a crash, never a URL off the SNS host accepted, and never a message accepted
// unless it is byte-for-byte one of the genuine signed ones.
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <string_view>

#include <sesami/json_src.hpp>
#include <sesami/parse.hpp>

#include "aws/sns_verify.hpp"

namespace {
sesami::aws::sns_verifier& verifier() {
  static sesami::aws::sns_verifier v([] {
    sesami::aws::sns_verifier_options o;
    o.cert_dir = SESAMI_SNS_REAL_DIR;
    o.allow_fetch = false;
    return o;
  }());
  return v;
}
// The genuine messages' string-to-sign: the only texts that may verify.
const std::set<std::string>& genuine() {
  static const std::set<std::string> g = [] {
    std::set<std::string> out;
    for (const char* f : {"/notification-sha1.json", "/notification-sha256.json"}) {
      std::ifstream in(std::string(SESAMI_SNS_REAL_DIR) + f, std::ios::binary);
      std::ostringstream ss;
      ss << in.rdbuf();
      if (auto e = sesami::parse_sns_envelope(ss.str()))
        if (auto t = sesami::aws::string_to_sign(*e)) out.insert(*t);
    }
    if (out.size() != 2) __builtin_trap();  // the fixtures are where they should be
    return out;
  }();
  return g;
}
bool on_sns_host(std::string_view url) {
  constexpr std::string_view scheme = "https://sns.";
  if (!url.starts_with(scheme)) return false;
  const auto host = url.substr(8, url.find('/', 8) - 8);
  return host.ends_with(".amazonaws.com") || host.ends_with(".amazonaws.com.cn");
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  (void)genuine();
  if (sesami::aws::sns_host_url(input) && !on_sns_host(input)) __builtin_trap();
  if (sesami::aws::cert_file_name(input) && !on_sns_host(input)) __builtin_trap();

  auto env = sesami::parse_sns_envelope(input);
  if (!env) return 0;
  const auto text = sesami::aws::string_to_sign(*env);
  if (sesami::aws::cert_file_name(env->signing_cert_url) && !on_sns_host(env->signing_cert_url))
    __builtin_trap();
  if (sesami::aws::sns_host_url(env->subscribe_url) && !on_sns_host(env->subscribe_url))
    __builtin_trap();
  const auto ok = verifier().verify(*env);
  if (ok && (!text || !genuine().count(*text))) __builtin_trap();
  return 0;
}
