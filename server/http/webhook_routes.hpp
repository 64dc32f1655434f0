#pragma once
// The /webhooks routes (issue #18): request bodies in, app::webhooks calls, JSON out. The API
// (api.cpp) checks the caller first — an admin of the workspace — and hands over its workspace.
#include <string_view>

#include "../app/webhooks.hpp"
#include "router.hpp"

namespace sesami::http {

enum class webhook_op { create, list, update, remove, rotate, test, deliveries, retry };

response webhook_route(context& ctx, app::webhooks& hooks, std::string_view workspace,
                       webhook_op op);

}  // namespace sesami::http
