#pragma once
// The send path's topic check (issue #20), apart from mail.cpp: of the recipients a mail on a
// topic is about to go to, those not subscribed to the topic are taken out and reported like
// suppressed ones, reason "unsubscribed:<topic>".
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "auth.hpp"
#include "topics.hpp"

namespace sesami::app {

/// Moves from `sent_to` (lower-cased addresses) to `suppressed` every recipient who must not get
/// mail on `topic`. Fails with validation.topic when the workspace has no such topic, and when
/// `t` is null (this process has no topic store).
outcome<void> apply_topic(topics* t, std::string_view workspace, std::string_view topic,
                          std::vector<std::string>& sent_to,
                          std::vector<std::pair<std::string, std::string>>& suppressed);

}  // namespace sesami::app
