#pragma once
// The outbox half of the PostgreSQL webhook store that runs inside the event store's ingest
// transaction (pg_store.cpp calls it on its writer connection, after the events are in).
#include <cstdint>
#include <span>
#include <string_view>

#include "../webhook_store.hpp"
#include "connection.hpp"

namespace sesami::store::pg {

/// One delivery per (newly stored event, enabled endpoint of the workspace taking its type), on
/// `c` inside the caller's transaction: one statement, and one indexed read when the workspace
/// has no endpoint.
status enqueue_webhook_deliveries(connection& c, std::string_view workspace,
                                  std::span<const webhook_event_ref> events, std::int64_t now);

}  // namespace sesami::store::pg
