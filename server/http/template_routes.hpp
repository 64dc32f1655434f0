#pragma once
// The /templates routes (issue #20): request bodies in, app::template_service calls, JSON out.
// The API (api.cpp) checks the caller first and hands over its workspace.
#include <string_view>

#include "../app/templates.hpp"
#include "router.hpp"

namespace sesami::http {

enum class template_op { create, list, get, replace, remove, render };

response template_route(context& ctx, app::template_service& t, std::string_view workspace,
                        template_op op);

/// A template as the API answers it.
boost::json::object template_json(const store::stored_template& t, bool with_parts);

}  // namespace sesami::http
