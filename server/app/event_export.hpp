#pragma once
// Exporting a workspace's events: the whole range a filter selects, a page of the store at a time,
// as SESami's normalized events (JSON Lines, what GET /events serves and `sesami import` reads
// back) or as CSV. Used by `sesami export` and GET /events/export; no sockets, no SQL.
//
// Memory stays bounded whatever the range: each piece is one store page (keyset paging, newest
// first like GET /events), and the caller asks for the next piece only when it has written the
// last. Pages are separate reads, not one long transaction: events stored while an export runs
// are in it when they fall after its current position (older timestamps), not otherwise.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <sesami/filter.hpp>

#include "../store/store.hpp"

namespace sesami::app {

enum class export_format { jsonl, csv };

/// "jsonl" (also "json-lines", "ndjson") or "csv"; nullopt for anything else.
std::optional<export_format> parse_export_format(std::string_view s) noexcept;
/// The media type of an export: application/x-ndjson or text/csv.
std::string_view export_media_type(export_format f) noexcept;

/// The CSV columns, in order (the header row).
inline constexpr std::string_view export_csv_columns[] = {"id",
                                                          "timestamp",
                                                          "type",
                                                          "recipient",
                                                          "messageId",
                                                          "subject",
                                                          "sender",
                                                          "configurationSet",
                                                          "machine",
                                                          "bounceClass",
                                                          "bounceType",
                                                          "bounceSubType",
                                                          "diagnosticCode",
                                                          "link",
                                                          "tags"};

class event_export {
 public:
  /// `page`: events per store read (one piece of output).
  event_export(store::store& s, std::string workspace, sesami::filter f, export_format fmt,
               std::size_t page = 2000);

  /// Replaces `out` with the next piece (CSV: the header row comes first, also for no events);
  /// false when there is nothing more. A store error stops the export.
  store::result<bool> next(std::string& out);

  std::size_t events() const noexcept { return events_; }

 private:
  store::store& store_;
  std::string workspace_;
  store::event_query query_;
  export_format format_;
  bool header_done_ = false;
  bool done_ = false;
  std::size_t events_ = 0;
};

/// One event's CSV row (no line end) from its stored JSON document; false when it does not decode.
bool append_event_csv_row(std::string& out, std::string_view doc);

}  // namespace sesami::app
