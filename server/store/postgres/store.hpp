#pragma once
// The PostgreSQL store's class, shared by its files (one concern each, the same names as
// sqlite/): store.cpp, events.cpp, queries.cpp, rollups.cpp, suppressions.cpp, retention.cpp.
// The semantics of the SQLite store (the reference) on a server
// shared by several SESami nodes. Differences in how, never in what:
// - Group commit as in SQLite (one leader per process commits every queued caller in one
//   transaction). Across processes, nothing serialises a workspace: a transaction locks the
//   recipient_status rows of the pairs it touches (sorted, events.cpp load_state), so the
//   read-modify-write of a pair's state through the core's roll_up stays exact with several nodes
//   on one database; events are deduplicated by their unique index; counters take commutative
//   deltas (count = count + delta) in sorted key order. docs/storage.md has the design.
// - Each request's events go in as ONE multi-row INSERT … SELECT FROM unnest(arrays) … ON CONFLICT
//   DO NOTHING RETURNING; the statuses and first clicks a request touches are read in one query and
//   written back in one upsert per table: a fixed number of round trips per request and per group,
//   not per event.
// - events is partitioned by month; partitions are created ahead and on demand, and retention
//   drops a whole month when no other workspace has rows in it.
// All of PostgreSQL's dialect lives in this directory.
#include <algorithm>
#include <ctime>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include <sesami/ascii.hpp>
#include <sesami/rollup.hpp>

#include "../detail/group_commit.hpp"
#include "../detail/rollup_sums.hpp"
#include "../detail/rollup_time.hpp"
#include "../store.hpp"
#include "connection.hpp"
#include "pg_store.hpp"

namespace sesami::store::pg {

using sesami::store::detail::day_of_hour;
using sesami::store::detail::day_split;
using sesami::store::detail::domain_delta;
using sesami::store::detail::floor_div;
using sesami::store::detail::hour_of;
using sesami::store::detail::link_delta;
using sesami::store::detail::ms_per_day;
using sesami::store::detail::ms_per_hour;
using sesami::store::detail::rollup_delta;
using sesami::store::detail::split_days;
// ---- months (civil calendar, H. Hinnant's algorithms) ------------------------------------------
struct month {
  std::int64_t year;
  int mon;  // 1..12
  bool operator<(const month& o) const noexcept {
    return std::tie(year, mon) < std::tie(o.year, o.mon);
  }
};
inline month month_of(std::int64_t ms) noexcept {
  std::int64_t z = floor_div(ms, ms_per_day) + 719468;
  const std::int64_t era = floor_div(z, 146097);
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return {yoe + era * 400 + (m <= 2 ? 1 : 0), m};
}
inline std::int64_t start_ms(month mo) noexcept {
  const std::int64_t y = mo.year - (mo.mon <= 2 ? 1 : 0);
  const std::int64_t era = floor_div(y, 400);
  const std::int64_t yoe = y - era * 400;
  const std::int64_t mp = mo.mon > 2 ? mo.mon - 3 : mo.mon + 9;
  const std::int64_t doy = (153 * mp + 2) / 5;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return (era * 146097 + doe - 719468) * ms_per_day;
}
inline month next(month mo) noexcept {
  return mo.mon == 12 ? month{mo.year + 1, 1} : month{mo.year, mo.mon + 1};
}
inline std::string partition_name(month mo) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "events_%s%04lld%02d", mo.year < 0 ? "bc" : "",
                static_cast<long long>(mo.year < 0 ? -mo.year : mo.year), mo.mon);
  return buf;
}
// The month of a partition named by partition_name (events_YYYYMM), if it is one.
inline std::optional<month> month_of_name(std::string_view n) {
  if (n.rfind("events_", 0) != 0) return std::nullopt;
  n.remove_prefix(7);
  bool bc = false;
  if (n.rfind("bc", 0) == 0) bc = true, n.remove_prefix(2);
  if (n.size() < 6) return std::nullopt;
  std::int64_t v = 0;
  for (char c : n) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  month mo{v / 100, static_cast<int>(v % 100)};
  if (mo.mon < 1 || mo.mon > 12) return std::nullopt;
  if (bc) mo.year = -mo.year;
  return mo;
}

// ---- identities: 32 hex chars stored as 16 bytes, sent and read as hex -------------------------
inline int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
inline std::string to_hex(std::string_view raw) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(raw.size() * 2);
  for (unsigned char c : raw) out += digits[c >> 4], out += digits[c & 15];
  return out;
}
inline std::string from_hex(std::string_view hex) {
  std::string out(hex.size() / 2, '\0');
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i] = static_cast<char>(hex_value(hex[2 * i]) * 16 + hex_value(hex[2 * i + 1]));
  return out;
}
// The bytea (as hex) for an identity: its 16 bytes when it is 32 hex chars, else its raw bytes
// (SQLite's id_to_blob).
inline std::string id_hex(std::string_view id) {
  if (id.size() == 32 &&
      std::all_of(id.begin(), id.end(), [](char c) { return hex_value(c) >= 0; })) {
    std::string out(id);
    for (auto& c : out)
      if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    return out;
  }
  return to_hex(id);
}
// The identity from its bytea (hex): 16 bytes read back as 32 hex chars, else the raw bytes.
inline std::string id_of_hex(std::string_view hex) {
  return hex.size() == 32 ? std::string(hex) : from_hex(hex);
}

inline std::int64_t now_ms() noexcept {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

class pg_store final : public store {
 public:
  using store::ingest;
  pg_store(const pg_options& opt, int version)
      : pool_(opt.url, std::max<std::size_t>(opt.connections, 2)),
        version_(version),
        committer_(std::max<std::size_t>(opt.writers, 1)) {}
  // ---- workspaces ------------------------------------------------------------------------------
  result<workspace> create_workspace(const workspace& w) override;
  result<workspace> ensure_workspace(std::string_view id) override;
  result<std::optional<workspace>> find_workspace(std::string_view id) override;
  result<std::vector<workspace>> list_workspaces() override;
  status set_retention(std::string_view workspace, int days) override;
  // ---- writes: group commit --------------------------------------------------------------------
  result<ingest_summary> ingest(std::string_view workspace, std::span<const ingest_item> items,
                                std::int64_t now, const ingest_options& o) override;
  result<bool> remember_sns_message(std::string_view workspace, std::string_view id,
                                    std::int64_t now) override;
  result<bool> sns_message_seen(std::string_view workspace, std::string_view id) override;
  // ---- reads -----------------------------------------------------------------------------------
  result<event_page> list_events(std::string_view workspace, const event_query& q) override;

  using store::message;
  using store::recipient;
  result<recipient_history> recipient(std::string_view workspace, std::string_view address,
                                      const history_query& q) override;
  result<message_history> message(std::string_view workspace, std::string_view message_id,
                                  const history_query& q) override;
  result<std::vector<rollup_row>> rollups(std::string_view workspace, std::int64_t since,
                                          std::int64_t until) override;
  result<std::vector<rollup_row>> rollups_by_day(std::string_view workspace, std::int64_t since,
                                                 std::int64_t until) override;
  result<std::vector<rollup_row>> read_rollups(const std::string& sql, const params& p);
  result<std::vector<link_rollup>> top_links(std::string_view workspace, std::int64_t since,
                                             std::int64_t until, std::size_t n) override;
  result<std::vector<domain_rollup>> top_bouncing_domains(std::string_view workspace,
                                                          std::int64_t since, std::int64_t until,
                                                          std::size_t n) override;
  result<std::vector<std::pair<delivery_status, std::int64_t>>> status_counts(
      std::string_view workspace, std::int64_t since, std::int64_t until) override;
  result<std::vector<std::pair<delivery_status, std::int64_t>>> status_counts(
      std::string_view workspace) override;
  // ---- suppression list ------------------------------------------------------------------------
  result<suppression_page> list_suppressions(std::string_view workspace,
                                             const suppression_query& q) override;
  result<std::optional<suppression_entry>> find_suppression(std::string_view workspace,
                                                            std::string_view address) override;
  result<std::size_t> add_suppressions(std::string_view workspace,
                                       std::span<const suppression_entry> entries) override;
  result<bool> remove_suppression(std::string_view workspace, std::string_view address) override;
  result<std::optional<suppression_entry>> set_suppression_reason(std::string_view workspace,
                                                                  std::string_view address,
                                                                  std::string_view reason) override;
  // ---- maintenance -----------------------------------------------------------------------------
  result<std::size_t> apply_retention(std::string_view workspace, std::int64_t now,
                                      std::size_t batch,
                                      const std::function<bool()>& between) override;

  int schema_version() const override { return version_; }
  static status ensure_partitions(connection& c, const std::set<month>& months);

 private:
  struct request {
    std::string_view workspace;
    std::span<const ingest_item> items;
    std::int64_t now;
    bool remember_sns = true;
    result<ingest_summary> outcome = ingest_summary{};
  };
  static params hour_range(std::string_view workspace, std::int64_t since, std::int64_t until);
  static params day_range(std::string_view workspace, std::int64_t since, std::int64_t until);
  result<std::vector<std::pair<delivery_status, std::int64_t>>> statuses(const char* sql,
                                                                         const params& p);
  result<std::optional<suppression_entry>> find_suppression_with(connection& c,
                                                                 std::string_view workspace,
                                                                 const std::string& address);
  static result<std::vector<std::string>> insert_suppressions(
      connection& c, std::string_view workspace, const std::vector<suppression_entry>& entries);

  using rollup_key = std::tuple<std::string, std::int64_t, int>;        // workspace, hour, type
  using status_key = std::pair<std::string, int>;                       // workspace, status
  using name_key = std::tuple<std::string, std::int64_t, std::string>;  // workspace, hour, name
  // workspace, message, recipient, link
  using link_key = std::tuple<std::string, std::string, std::string, std::string>;

  struct pair_state {
    int original = -1;  // status in the database before this transaction; -1: no row yet
    std::int64_t original_first_seen = 0;
    sesami::pair_state state;  // status, first / last seen, first opens and clicks (rollup.hpp)
    int status() const noexcept { return state.status ? static_cast<int>(*state.status) : -1; }
    bool touched = false;      // an event of this transaction changed it (else: read only)
    bool placeholder = false;  // its row was inserted by this transaction to lock a new pair
  };
  struct pair_key {
    std::string workspace, message_id, recipient;
    bool operator==(const pair_key&) const = default;
  };
  struct pair_hash {
    std::size_t operator()(const pair_key& k) const noexcept {
      const std::hash<std::string> h;
      return h(k.message_id) * 31 + h(k.recipient) * 7 + h(k.workspace);
    }
  };
  struct first_click {
    std::optional<std::int64_t> at;
    bool dirty = false;
  };
  struct txn_state : detail::rollup_sums {  // the deltas, summed
    std::unordered_map<pair_key, pair_state, pair_hash> pairs;
    std::map<link_key, first_click> clicks;
    std::map<std::string, int, std::less<>> retention;
  };
  void commit_group(std::vector<request*>& group);
  result<int> retention_days(connection& c, txn_state& txn, std::string_view workspace);

  // One item of a request on its way in.
  struct slot {
    request* req;
    const ingest_item* item;
    std::string recipient, hex;
    std::int64_t seq = 0;
  };
  using summaries = std::unordered_map<request*, ingest_summary>;
  result<std::vector<slot*>> insert_events(connection& c, txn_state& txn, const std::string& ws,
                                           std::vector<slot>& live, summaries& sums);
  status apply_stored(connection& c, txn_state& txn, const std::string& ws,
                      const std::vector<slot*>& stored, summaries& sums);
  status ingest_workspace(connection& c, txn_state& txn, const std::string& ws, int days,
                          const std::vector<request*>& reqs);
  status load_state(connection& c, txn_state& txn, const std::string& ws,
                    const std::vector<slot>& live);
  status flush_state(connection& c, txn_state& txn);
  status flush_pairs(connection& c, const txn_state& txn);
  status flush_pair_links(connection& c, const txn_state& txn);
  status flush_rollups(connection& c, const txn_state& txn);
  status flush_type_rollups(connection& c, const txn_state& txn);
  status flush_link_rollups(connection& c, const txn_state& txn);
  status flush_domain_rollups(connection& c, const txn_state& txn);
  status flush_status_rollups(connection& c, const txn_state& txn);

  pool pool_;
  int version_;

  // Idle writer connections: each group transaction takes one (opened on first use), and gives it
  // back when the group ends without an exception; pg_options::writers groups commit at once.
  std::mutex writers_mu_;
  std::vector<std::unique_ptr<connection>> idle_writers_;

  sesami::store::detail::group_committer<request> committer_;  // detail/group_commit.hpp
};

}  // namespace sesami::store::pg
