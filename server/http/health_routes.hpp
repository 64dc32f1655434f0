#pragma once
// The pipeline health routes (issue #18): GET /health/sources and PATCH /health/sources/{id}.
// The API (api.cpp) checks the caller first — a viewer may read, an admin may set a window — and
// hands over its workspace and the workspace's event path (for what to check).
#include <string_view>

#include "../app/pipeline_health.hpp"
#include "router.hpp"

namespace sesami::http {

enum class health_op { list, update };

response health_sources_route(context& ctx, app::pipeline_health& health,
                              std::string_view workspace, const app::delivery_path& path,
                              health_op op);

}  // namespace sesami::http
