#pragma once
// The /reputation and /alerts routes (issue #18): request bodies in, app::reputation_guard and
// app::alerts calls, JSON out. The API (api.cpp) checks the caller first — a viewer for reading
// and marking alerts read, an admin for resuming and changing settings — and hands over its
// workspace and who it is.
#include <string_view>

#include "../app/alerts.hpp"
#include "../app/reputation.hpp"
#include "router.hpp"

namespace sesami::http {

enum class guard_op { status, resume, settings, update_settings, alerts, read, read_all };

/// The role each operation needs.
constexpr app::role guard_role(guard_op op) noexcept {
  return op == guard_op::resume || op == guard_op::update_settings ? app::role::admin
                                                                   : app::role::viewer;
}

response guard_route(context& ctx, app::reputation_guard& guard, app::alerts& alerts,
                     std::string_view workspace, std::string_view who, guard_op op);

}  // namespace sesami::http
