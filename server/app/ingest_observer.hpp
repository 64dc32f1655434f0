#pragma once
// What happens after events are durably stored, outside the store's transaction: the reputation
// guard counts soft bounces and looks at the rates again (reputation.hpp). Every ingestion path of
// the server (SNS, EventBridge, SQS, the simulator) calls notify_ingested() after its commit; the
// observer is set once by `serve` before it listens. Without one, nothing happens.
#include <functional>
#include <span>
#include <string_view>

#include <sesami/event.hpp>

namespace sesami::app {

/// Called with the workspace and the payload's events (duplicates included: observers are
/// idempotent). Must not throw.
using ingest_observer =
    std::function<void(std::string_view workspace, std::span<const sesami::event> events)>;

void set_ingest_observer(ingest_observer o);
void notify_ingested(std::string_view workspace, std::span<const sesami::event> events) noexcept;

}  // namespace sesami::app
