// `sesami events`: stored events, newest first, filtered like GET /events (the analytics core's
// filter_from_query validates the options). JSON Lines with --json, a table otherwise; the cursor
// of the next page goes to stderr.
#include <cstdio>
#include <string>
#include <vector>

#include <sesami/detail/iso8601.hpp>
#include <sesami/filter.hpp>

#include "cmd_store_common.hpp"

namespace sesami::cli {

int run_events(args a) {
  CLI::App app{"List stored events, newest first.", "sesami events"};
  store_args sa;
  add_store_options(app, sa);
  std::vector<std::string> types, statuses, recipients, message_ids, tags;
  std::string since, until, machine, cursor;
  std::size_t limit = 50;
  bool json = false;
  app.add_option("--type", types, "event type (repeatable, or comma-separated)");
  app.add_option("--status", statuses, "current status of the (message, recipient)");
  app.add_option("--recipient", recipients, "address, *part*, part*, *part or @domain");
  app.add_option("--message-id", message_ids, "SES message id");
  app.add_option("--since", since, "ISO 8601, inclusive");
  app.add_option("--until", until, "ISO 8601, exclusive");
  app.add_option("--tag", tags, "name=value");
  app.add_option("--machine", machine, "include, exclude or only machine opens/clicks");
  app.add_option("--limit", limit, "events per page (default 50, at most 1000)")
      ->check(CLI::Range(1, 1000));
  app.add_option("--cursor", cursor, "continue after a previous page");
  app.add_flag("--json", json, "JSON Lines (the normalized events)");
  if (int rc = parse_args(app, a); rc >= 0) return rc;

  std::vector<query_param> params;
  for (auto& t : types) params.emplace_back("type", t);
  for (auto& s : statuses) params.emplace_back("status", s);
  for (auto& r : recipients) params.emplace_back("recipient", r);
  for (auto& m : message_ids) params.emplace_back("messageId", m);
  for (auto& t : tags) params.emplace_back("tag", t);
  if (!since.empty()) params.emplace_back("from", since);
  if (!until.empty()) params.emplace_back("to", until);
  if (!machine.empty()) params.emplace_back("machine", machine);
  auto f = filter_from_query(params);
  if (!f) {
    std::fprintf(stderr, "sesami events: %s\n", f.error().message.c_str());
    return 2;
  }
  auto st = open_store("events", sa);
  if (!st) return 2;
  store::event_query q;
  q.filter = std::move(*f);
  q.limit = limit;
  q.cursor = cursor;
  auto page = st->list_events(sa.workspace, q);
  if (!page) {
    std::fprintf(stderr, "sesami events: %s\n", page.error().message.c_str());
    return 2;
  }
  if (!json) std::printf("%-24s  %-17s  %-36s  %s\n", "TIME", "TYPE", "RECIPIENT", "MESSAGE ID");
  for (const auto& e : page->events) {
    if (json) {
      std::fwrite(e.doc.data(), 1, e.doc.size(), stdout);
      std::fputc('\n', stdout);
    } else {
      std::string type(to_string(e.type));
      if (e.machine) type += " (m)";
      std::printf("%s  %-17s  %-36s  %s\n", detail::format_iso8601(e.timestamp).c_str(),
                  type.c_str(), e.recipient.c_str(), e.message_id.c_str());
    }
  }
  if (page->next) std::fprintf(stderr, "more: --cursor %s\n", page->next->c_str());
  return 0;
}

}  // namespace sesami::cli
