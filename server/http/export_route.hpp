#pragma once
// GET /events/export: a workspace's events, the whole filtered range, streamed (chunked, gzip when
// asked) as JSON Lines or CSV. The caller has authenticated; this reads the query and answers.
#include <string_view>

#include "../store/store.hpp"
#include "router.hpp"

namespace sesami::http {

/// The export of `workspace` the request's query asks for (GET /events's filters, `format`), or a
/// 400 naming what is wrong. Sets ctx.stream: the body is made as it is sent.
response export_events(context& ctx, store::store& s, std::string_view workspace);

}  // namespace sesami::http
