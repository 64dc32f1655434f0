#pragma once
// The /topics and /contacts routes (issue #20): request bodies in, app::topics calls, JSON or CSV
// out. The API (api.cpp) checks the caller first — a viewer reads, an admin writes — and hands
// over its workspace.
#include <string_view>

#include "../app/topics.hpp"
#include "router.hpp"

namespace sesami::http {

enum class topic_op {
  create,
  list,
  update,
  remove,
  contacts,
  contact,
  put_contact,
  remove_contact,
  import_csv,
  export_csv
};

/// Whether the operation changes anything (an admin's job) or only reads (a viewer's).
constexpr bool topic_op_writes(topic_op op) noexcept {
  return op == topic_op::create || op == topic_op::update || op == topic_op::remove ||
         op == topic_op::put_contact || op == topic_op::remove_contact ||
         op == topic_op::import_csv;
}

response topic_route(context& ctx, app::topics& topics, std::string_view workspace, topic_op op);

}  // namespace sesami::http
