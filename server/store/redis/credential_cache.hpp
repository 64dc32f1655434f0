#pragma once
// The STS credential cache shared by nodes through Redis (aws::credential_cache). Secrets at
// rest: each entry is sealed with XChaCha20-Poly1305 (libsodium) under a key from configuration
// (--redis-key-file), and stored under a keyed BLAKE2b hash of the cache key, so neither the
// credentials nor the role ARN / External ID appear in Redis. The Redis key name is the
// associated data: an entry copied under another name does not open. TTL = credential expiry.
//
// A tampered or undecryptable entry (another key, another format) is a miss, logged without its
// content. When Redis is unavailable the process-local memory cache answers; every put writes it
// too, so an outage starts from what this node last knew.
#include <array>
#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include <boost/system/result.hpp>

#include "../../app/secret_box.hpp"
#include "../../aws/sts.hpp"
#include "client.hpp"

namespace sesami::redis {

using secret_key = app::secret_key;

/// The --redis-key-file: app::load_key_file (64 hex digits or base64; errors never show it).
inline boost::system::result<secret_key, std::string> load_key_file(
    const std::filesystem::path& p) {
  return app::load_key_file(p, "the Redis key");
}

/// Log sink: level (spdlog's numbering: 3 warn), message, and a field that is never a secret.
using log_fn = std::function<void(int level, std::string_view message, std::string_view detail)>;

class credential_cache final : public aws::credential_cache {
 public:
  credential_cache(client& redis, const secret_key& key, log_fn log = {},
                   std::function<std::chrono::system_clock::time_point()> now = {});
  ~credential_cache() override;

  std::optional<aws::assumed_role> get(const std::string& key) override;
  void put(const std::string& key, const aws::assumed_role& value) override;
  void erase(const std::string& key) override;

  /// The Redis key an entry lives under ("sesami:sts:" + hex keyed hash); for tests.
  std::string redis_key(std::string_view cache_key) const;

 private:
  client& redis_;
  app::secret_box box_;  // seals entries; the Redis key name is the associated data
  secret_key name_key_{};
  log_fn log_;
  std::function<std::chrono::system_clock::time_point()> now_;
  aws::memory_credential_cache local_;
};

}  // namespace sesami::redis
