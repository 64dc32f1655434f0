#include "topic_gate.hpp"

#include <algorithm>

namespace sesami::app {

outcome<void> apply_topic(topics* t, std::string_view workspace, std::string_view topic,
                          std::vector<std::string>& sent_to,
                          std::vector<std::pair<std::string, std::string>>& suppressed) {
  if (!t) return failure{"validation.topic", "topics are not available in this process"};
  auto out = t->unsubscribed(workspace, topic, sent_to);
  if (!out) return out.error();
  if (out->empty()) return {};
  const std::string reason = "unsubscribed:" + std::string(topic);
  for (const auto& a : *out) suppressed.emplace_back(a, reason);
  std::erase_if(sent_to, [&](const std::string& a) {
    return std::find(out->begin(), out->end(), a) != out->end();
  });
  return {};
}

}  // namespace sesami::app
