#pragma once
// SNS MessageId dedupe shared by nodes: a MessageId stored on any node is remembered in Redis for
// 24 h (SET NX EX), so a redelivery to another node is dropped before parsing. A fast path only:
// the store's own MessageId table and event identity remain the durable dedupe, and stay the
// only one while Redis is unavailable (a miss here is never a lost message).
#include <chrono>
#include <string>

#include "../../app/sns_dedupe.hpp"
#include "client.hpp"

namespace sesami::redis {

class sns_dedupe final : public app::sns_dedupe {
 public:
  explicit sns_dedupe(client& redis, std::chrono::seconds ttl = std::chrono::hours(24),
                      std::string prefix = "sesami:sns:");
  bool seen(std::string_view workspace, std::string_view message_id) override;
  void remember(std::string_view workspace, std::string_view message_id) override;
  /// The Redis key of a MessageId (a hash of workspace and id); for tests.
  std::string redis_key(std::string_view workspace, std::string_view message_id) const;

 private:
  client& redis_;
  std::chrono::seconds ttl_;
  std::string prefix_;
};

}  // namespace sesami::redis
