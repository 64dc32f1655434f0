// `sesami suppression list|add|remove|import|export`: the workspace's suppression list.
// CSV follows RFC 4180 (app/suppression.hpp); a bad CSV line is reported as FILE:LINE: reason and
// the other lines import (all in one transaction).
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <sesami/detail/iso8601.hpp>

#include "../app/import.hpp"
#include "../app/suppression.hpp"
#include "cmd_store_common.hpp"

namespace sesami::cli {
namespace {

bool read_file(const std::string& name, std::string& out) {
  std::FILE* f = name == "-" ? stdin : std::fopen(name.c_str(), "rb");
  if (!f) return false;
  char buf[1 << 16];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  const bool ok = !std::ferror(f);
  if (f != stdin) std::fclose(f);
  return ok;
}

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\')
      out += '\\', out += c;
    else if (static_cast<unsigned char>(c) < 0x20) {
      char b[8];
      std::snprintf(b, sizeof b, "\\u%04x", c);
      out += b;
    } else
      out += c;
  }
  return out + "\"";
}

}  // namespace

int run_suppression(args a) {
  CLI::App app{"The workspace's suppression list.", "sesami suppression"};
  app.require_subcommand(1);
  store_args sa;
  add_store_options(app, sa);

  auto* list = app.add_subcommand("list", "list entries (by address)");
  std::string contains;
  bool json = false;
  list->add_option("--contains", contains, "substring of the address");
  list->add_flag("--json", json, "JSON Lines");

  auto* add = app.add_subcommand("add", "add addresses (source manual)");
  std::vector<std::string> add_addresses;
  std::string reason = "manual";
  add->add_option("addresses", add_addresses)->required();
  add->add_option("--reason", reason, "why (default \"manual\"; at most 500 characters)");

  auto* remove = app.add_subcommand("remove", "remove addresses");
  std::vector<std::string> remove_addresses;
  remove->add_option("addresses", remove_addresses)->required();

  auto* import =
      app.add_subcommand("import", "import CSV (address[,reason,source,event_id,created_at])");
  std::string import_file;
  import->add_option("file", import_file, "CSV file, or - for stdin")->required();

  auto* exp = app.add_subcommand("export", "export CSV");
  std::string export_file = "-";
  exp->add_option("file", export_file, "output file (default stdout)");

  // Options of the parent may come after the subcommand name too.
  for (auto* sub : {list, add, remove, import, exp}) {
    sub->add_option("--db", sa.db, "database file")->envname("SESAMI_DB");
    sub->add_option("--workspace,-w", sa.workspace, "workspace");
  }
  if (int rc = parse_args(app, a); rc >= 0) return rc;

  auto st = open_store("suppression", sa);
  if (!st) return 2;
  auto fail = [](const store::error& e) {
    std::fprintf(stderr, "sesami suppression: %s\n", e.message.c_str());
    return 2;
  };

  if (list->parsed() || exp->parsed()) {
    std::vector<store::suppression_entry> all;
    store::suppression_query q;
    q.contains = contains;
    q.limit = 10000;
    for (;;) {
      auto page = st->list_suppressions(sa.workspace, q);
      if (!page) return fail(page.error());
      all.insert(all.end(), page->entries.begin(), page->entries.end());
      if (!page->next) break;
      q.cursor = *page->next;
    }
    if (exp->parsed()) {
      const std::string csv = app::suppression_to_csv(all);
      std::FILE* out = export_file == "-" ? stdout : std::fopen(export_file.c_str(), "wb");
      if (!out) {
        std::fprintf(stderr, "sesami suppression: %s: %s\n", export_file.c_str(),
                     std::strerror(errno));
        return 2;
      }
      const bool ok = std::fwrite(csv.data(), 1, csv.size(), out) == csv.size();
      if ((out != stdout && std::fclose(out) != 0) || !ok) {
        std::fprintf(stderr, "sesami suppression: %s: write error\n", export_file.c_str());
        return 2;
      }
      return 0;
    }
    for (const auto& e : all) {
      if (json)
        std::printf(
            "{\"address\":%s,\"reason\":%s,\"source\":\"%s\",\"eventId\":%s,\"createdAt\":\"%s\"}"
            "\n",
            json_string(e.address).c_str(), json_string(e.reason).c_str(),
            std::string(store::to_string(e.source)).c_str(), json_string(e.event_id).c_str(),
            detail::format_iso8601(e.created_at).c_str());
      else
        std::printf("%-40s %-12s %-8s %s\n", e.address.c_str(), e.reason.c_str(),
                    std::string(store::to_string(e.source)).c_str(),
                    detail::format_iso8601(e.created_at).c_str());
    }
    return 0;
  }
  if (add->parsed()) {
    if (app::reason_too_long(reason)) {
      std::fprintf(stderr, "sesami suppression: --reason: at most %zu characters\n",
                   app::max_reason_chars);
      return 2;
    }
    std::vector<store::suppression_entry> entries;
    for (const auto& addr : add_addresses) {
      if (!app::plausible_address(addr)) {
        std::fprintf(stderr, "sesami suppression: not an email address: '%s'\n", addr.c_str());
        return 2;
      }
      entries.push_back({addr, reason, store::suppression_source::manual, "", app::now_ms()});
    }
    auto n = st->add_suppressions(sa.workspace, entries);
    if (!n) return fail(n.error());
    std::fprintf(stderr, "added %zu, already listed %zu\n", *n, entries.size() - *n);
    return 0;
  }
  if (remove->parsed()) {
    int missing = 0;
    for (const auto& addr : remove_addresses) {
      auto r = st->remove_suppression(sa.workspace, addr);
      if (!r) return fail(r.error());
      if (!*r) {
        std::fprintf(stderr, "sesami suppression: %s was not listed\n", addr.c_str());
        ++missing;
      }
    }
    return missing ? 1 : 0;
  }
  // import
  std::string text;
  if (!read_file(import_file, text)) {
    std::fprintf(stderr, "sesami suppression: %s: %s\n", import_file.c_str(), std::strerror(errno));
    return 2;
  }
  auto parsed = app::suppression_from_csv(text, app::now_ms());
  for (const auto& p : parsed.problems)
    std::fprintf(stderr, "%s:%zu: %s\n", import_file.c_str(), p.line, p.message.c_str());
  auto n = st->add_suppressions(sa.workspace, parsed.entries);
  if (!n) return fail(n.error());
  std::fprintf(stderr, "imported %zu new, %zu already listed, %zu rejected\n", *n,
               parsed.entries.size() - *n, parsed.problems.size());
  return parsed.problems.empty() ? 0 : 1;
}

}  // namespace sesami::cli
