#include "event_export.hpp"

#include <utility>

#include <sesami/detail/iso8601.hpp>
#include <sesami/to_json.hpp>

#include "csv.hpp"

namespace sesami::app {

std::optional<export_format> parse_export_format(std::string_view s) noexcept {
  if (s == "jsonl" || s == "json-lines" || s == "ndjson") return export_format::jsonl;
  if (s == "csv") return export_format::csv;
  return std::nullopt;
}

std::string_view export_media_type(export_format f) noexcept {
  return f == export_format::csv ? "text/csv; charset=utf-8" : "application/x-ndjson";
}

event_export::event_export(store::store& s, std::string workspace, sesami::filter f,
                           export_format fmt, std::size_t page)
    : store_(s), workspace_(std::move(workspace)), format_(fmt) {
  query_.filter = std::move(f);
  query_.limit = page ? page : 1;
}

bool append_event_csv_row(std::string& out, std::string_view doc) {
  auto e = event_from_json(doc);
  if (!e) return false;
  const std::string id = event_id(*e);
  std::string recipient = e->recipient.value_or("");
  if (!e->recipient)
    for (const auto& d : e->destinations) recipient += (recipient.empty() ? "" : " ") + d;
  std::string bounce_class, bounce_type, bounce_sub, diagnostic, link, tags;
  if (const auto* b = e->get<bounce_info>()) {
    bounce_class = to_string(b->cls);
    bounce_type = b->type;
    bounce_sub = b->sub_type;
    diagnostic = b->diagnostic_code;
  } else if (const auto* d = e->get<delay_info>()) {
    diagnostic = d->diagnostic_code;
  } else if (const auto* c = e->get<click_info>()) {
    link = c->link;
  }
  for (const auto& [name, values] : e->tags)
    for (const auto& v : values) tags += (tags.empty() ? "" : ";") + name + "=" + v;
  const std::string cells[] = {id,
                               detail::format_iso8601(e->timestamp),
                               std::string(to_string(e->type)),
                               recipient,
                               e->message_id,
                               e->subject,
                               e->sender,
                               e->configuration_set,
                               e->machine() ? "true" : "false",
                               bounce_class,
                               bounce_type,
                               bounce_sub,
                               diagnostic,
                               link,
                               tags};
  static_assert(std::size(cells) == std::size(export_csv_columns));
  for (std::size_t i = 0; i < std::size(cells); ++i) {
    if (i) out.push_back(',');
    append_csv_cell(out, cells[i]);
  }
  return true;
}

store::result<bool> event_export::next(std::string& out) {
  out.clear();
  if (format_ == export_format::csv && !header_done_) {
    header_done_ = true;
    for (std::size_t i = 0; i < std::size(export_csv_columns); ++i) {
      if (i) out.push_back(',');
      out.append(export_csv_columns[i]);
    }
    out += "\r\n";
    return true;
  }
  if (done_) return false;
  auto page = store_.list_events(workspace_, query_);
  if (!page) return page.error();
  std::size_t total = 0;
  for (const auto& e : page->events) total += e.doc.size() + 1;
  out.reserve(format_ == export_format::csv ? total / 2 : total);
  for (const auto& e : page->events) {
    if (format_ == export_format::jsonl) {
      out += e.doc;
      out.push_back('\n');
    } else {
      if (!append_event_csv_row(out, e.doc))
        return store::error{store::errc::corrupt, "a stored event does not decode: " + e.id};
      out += "\r\n";
    }
  }
  events_ += page->events.size();
  if (page->next)
    query_.cursor = std::move(*page->next);
  else
    done_ = true;
  return !page->events.empty() || !done_;
}

}  // namespace sesami::app
