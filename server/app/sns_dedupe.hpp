#pragma once
// A shared, short-lived memory of SNS MessageIds already stored (Redis when several nodes run).
// Consulted before the store's own check, written after the events commit: it can only skip work
// for a message that is already durable, never drop a new one.
#include <string_view>

namespace sesami::app {

class sns_dedupe {
 public:
  virtual ~sns_dedupe() = default;
  /// True when the message is known to be stored; false when unknown or the memory is unreachable.
  virtual bool seen(std::string_view workspace, std::string_view message_id) = 0;
  /// Called after the message's events committed.
  virtual void remember(std::string_view workspace, std::string_view message_id) = 0;
};

}  // namespace sesami::app
