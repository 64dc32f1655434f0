#pragma once
// What to check when a workspace's events do not arrive, per delivery path: the verdicts
// `sesami doctor` prints when its test send's events do not come back, and the advice the silence
// findings of pipeline_health.hpp carry. One text, two callers.
#include <string>
#include <string_view>

namespace sesami::app {

/// The workspace's event path as its AWS connection says (Settings > AWS): `mode` "sqs",
/// "api-destination", "event-bus", or "" (not connected: the simulator sends and publishes).
struct delivery_path {
  std::string mode;
  std::string queue_url;
  std::string configuration_set;
};

/// Where to look when SES's events for the workspace's mail do not arrive through `path`.
std::string missing_events_hint(const delivery_path& path);

/// Where to look when one source (pipeline_health.hpp's kinds: "sns", "eventbridge", "sqs",
/// "event-bus", "import", "simulator") went silent; `name` is its topic ARN, account or queue URL.
std::string silent_source_hint(std::string_view kind, std::string_view name,
                               const delivery_path& path);

}  // namespace sesami::app
