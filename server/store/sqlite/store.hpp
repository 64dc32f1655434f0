#pragma once
// The SQLite store's class, shared by its files (one concern each): store.cpp opens the database,
// hands out readers and runs group commits; events.cpp stores events and the pairs' state;
// queries.cpp lists events and histories; rollups.cpp writes and reads the counters;
// suppressions.cpp and retention.cpp their tables. One writer connection behind a mutex with group
// commit, a pool of read connections (WAL lets them read while the writer writes). All of SQLite's
// dialect lives in this directory.
#include <charconv>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
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

namespace sesami::store::sqlite {

using sesami::store::detail::day_of_hour;
using sesami::store::detail::day_split;
using sesami::store::detail::domain_delta;
using sesami::store::detail::hour_of;
using sesami::store::detail::link_delta;
using sesami::store::detail::ms_per_day;
using sesami::store::detail::ms_per_hour;
using sesami::store::detail::rollup_delta;
using sesami::store::detail::split_days;

// ---- identities: 32 hex chars stored as 16 bytes (halves the unique index) ---------------------
inline int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
inline std::string id_to_blob(std::string_view id) {
  if (id.size() != 32) return std::string(id);
  std::string out(16, '\0');
  for (std::size_t i = 0; i < 16; ++i) {
    const int hi = hex_value(id[2 * i]), lo = hex_value(id[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::string(id);
    out[i] = static_cast<char>(hi * 16 + lo);
  }
  return out;
}
inline std::string blob_to_id(std::string_view b) {
  if (b.size() != 16) return std::string(b);
  static constexpr char digits[] = "0123456789abcdef";
  std::string out(32, '0');
  for (std::size_t i = 0; i < 16; ++i) {
    const auto v = static_cast<unsigned char>(b[i]);
    out[2 * i] = digits[v >> 4];
    out[2 * i + 1] = digits[v & 15];
  }
  return out;
}

// Resets a statement when a read leaves scope, so a reader never holds a WAL snapshot open.
struct reset_on_exit {
  statement* s;
  ~reset_on_exit() { s->reset(); }
};

class sqlite_store final : public store {
 public:
  using store::ingest;
  sqlite_store(open_options opt, std::unique_ptr<connection> writer, int version)
      : opt_(std::move(opt)), writer_(std::move(writer)), version_(version) {}
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

  // The counters of rollups and rollups_daily, after the hour column, in read_rollup_rows' order.
  static constexpr const char* rollup_columns =
      "type, count, machine, uniq, uniq_human, hard, soft, suppressed, undetermined, sim_count, "
      "sim_uniq_human, sim_hard";
  static result<std::vector<rollup_row>> read_rollup_rows(connection& c, statement& s);
  static void bind_split(statement& s, std::int64_t since, std::int64_t until);
  result<std::vector<link_rollup>> top_links(std::string_view workspace, std::int64_t since,
                                             std::int64_t until, std::size_t n) override;
  result<std::vector<domain_rollup>> top_bouncing_domains(std::string_view workspace,
                                                          std::int64_t since, std::int64_t until,
                                                          std::size_t n) override;
  result<std::vector<std::pair<delivery_status, std::int64_t>>> status_counts(
      std::string_view workspace, std::int64_t since, std::int64_t until) override;
  result<std::vector<std::pair<delivery_status, std::int64_t>>> status_counts(
      std::string_view workspace) override;
  // ---- suppression list
  // --------------------------------------------------------------------------
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
  // ---- maintenance
  // -------------------------------------------------------------------------------
  result<std::size_t> apply_retention(std::string_view workspace, std::int64_t now,
                                      std::size_t batch,
                                      const std::function<bool()>& between) override;

  int schema_version() const override { return version_; }
  // Each answers false when `between` stopped the purge.
  result<bool> expire_status_events(std::string_view workspace, std::int64_t cutoff,
                                    std::size_t batch, const std::function<bool()>& between);
  result<bool> expire_tags(std::string_view workspace, std::int64_t cutoff, std::size_t batch,
                           const std::function<bool()>& between);

  // Runs `sql` (a DELETE bounded to about `batch` rows, the statements above: up to the batch's
  // last ts, ties included, without DELETE ... LIMIT) until it deletes fewer than `batch`, each
  // run its own autocommit transaction with the writer released in between (where `between`, when
  // set, runs: false stops, and the answer is false), so group commits interleave with a purge.
  template <class Bind>
  result<bool> delete_in_batches(const char* sql, std::size_t batch, const char* what, Bind&& bind,
                                 const std::function<bool()>& between) {
    for (;;) {
      {
        std::lock_guard lock(write_mu_);
        auto del = writer_->prepare_static(sql);
        if (!del) return del.error();
        bind(**del);
        if (auto r = run(*writer_, **del, what); !r) return r.error();
        if (static_cast<std::size_t>(writer_->changes()) < batch) return true;
      }
      if (between && !between()) return false;
    }
  }

 private:
  struct request {
    std::string_view workspace;
    std::span<const ingest_item> items;
    std::int64_t now;
    bool remember_sns = true;
    bool durable = true;
    result<ingest_summary> outcome = ingest_summary{};
  };
  static std::int64_t now_ms() noexcept;

  // A read connection from the pool, returned to it when the handle goes out of scope.
  struct reader_deleter {
    sqlite_store* owner;
    void operator()(connection* c) const { owner->release(c); }
  };
  using reader_handle = std::unique_ptr<connection, reader_deleter>;
  result<reader_handle> reader();
  void release(connection* c);
  static suppression_entry read_suppression(const statement& s);
  result<std::optional<suppression_entry>> find_suppression_with(connection& c,
                                                                 std::string_view workspace,
                                                                 const std::string& address);
  result<std::size_t> insert_suppression(std::string_view workspace, const suppression_entry& e);

  using rollup_key = std::tuple<std::string, std::int64_t, int>;  // workspace, hour, type
  using status_key = std::pair<std::string, int>;                 // workspace, status

  // A (message, recipient)'s row as the transaction sees it: read from the database once, updated
  // in memory by every event of the transaction, written back once at commit.
  struct pair_state {
    bool loaded = false;  // read from the database (or found absent) in this transaction
    bool dirty = false;   // changed since it was read: written back at commit
    int original = -1;    // status in the database before this transaction; -1: no row yet
    std::int64_t original_first_seen = 0;  // likewise, for status_rollups' hour
    sesami::pair_state state;  // status, first / last seen, first opens and clicks (rollup.hpp)
    int status() const noexcept { return state.status ? static_cast<int>(*state.status) : -1; }
    std::string events;  // the row's event list as read: "ts.seq,ts.seq,..." (status_events keys)
    std::vector<std::pair<std::int64_t, std::int64_t>> added;  // (ts, seq) stored by this txn
  };
  struct pair_key {
    std::string workspace, message_id, recipient;
    bool operator==(const pair_key&) const = default;
    auto operator<=>(const pair_key&) const = default;  // primary key order
  };
  struct pair_hash {
    std::size_t operator()(const pair_key& k) const noexcept {
      const std::hash<std::string> h;
      return h(k.message_id) * 31 + h(k.recipient) * 7 + h(k.workspace);
    }
  };

  using name_key = std::tuple<std::string, std::int64_t, std::string>;  // workspace, hour, name
  // A (message, recipient, link)'s earliest click as the transaction sees it (pair_links row).
  struct link_state {
    bool loaded = false, dirty = false;
    std::optional<std::int64_t> first;
  };
  using pair_link_key = std::tuple<std::string, std::string, std::string, std::string>;
  struct pair_link_hash {
    std::size_t operator()(const pair_link_key& k) const noexcept {
      const std::hash<std::string> h;
      return ((h(std::get<1>(k)) * 31 + h(std::get<2>(k))) * 31 + h(std::get<3>(k))) * 7 +
             h(std::get<0>(k));
    }
  };
  struct txn_state : detail::rollup_sums {  // the deltas, summed
    std::unordered_map<pair_link_key, link_state, pair_link_hash> pair_links;
    std::unordered_map<pair_key, pair_state, pair_hash> pairs;
    std::map<std::string, int, std::less<>> retention;  // workspace → days, read once per group
    std::map<std::string, std::int64_t, std::less<>> cutoffs;  // workspace → retention cutoff
  };
  void commit_group(std::vector<request*>& group);
  status set_durability(bool durable);
  result<int> retention_days(txn_state& txn, std::string_view workspace);
  result<ingest_summary> ingest_one(txn_state& txn, request& req);
  status load_pairs(txn_state& txn, std::vector<pair_key>& keys);
  status load_pair_links(txn_state& txn, std::vector<pair_link_key>& keys);
  status index_tags(const std::string& ws, std::int64_t seq, const sesami::event& ev);

  // ---- status_events (migration 11) ----------------------------------------------------------
  struct status_event_key {
    const std::string* workspace;
    int status;
    std::int64_t ts, seq;
    auto tie() const { return std::tie(*workspace, status, ts, seq); }
  };
  struct orphan_row {
    const pair_key* key;
    std::int64_t ts, seq;
  };
  static void append_listed(std::string& list, std::int64_t ts, std::int64_t seq);
  template <class F>
  static void for_each_listed(std::string_view list, F&& f) {
    while (!list.empty()) {
      const auto comma = list.find(',');
      const std::string_view item = list.substr(0, comma);
      list.remove_prefix(comma == std::string_view::npos ? list.size() : comma + 1);
      const auto dot = item.find('.');
      if (dot == std::string_view::npos) continue;
      std::int64_t ts = 0, seq = 0;
      const auto* b = item.data();
      if (std::from_chars(b, b + dot, ts).ec != std::errc{} ||
          std::from_chars(b + dot + 1, b + item.size(), seq).ec != std::errc{})
        continue;
      f(ts, seq);
    }
  }
  status adopt_orphans(const pair_key& key, std::string& list,
                       std::vector<status_event_key>& se_ins, int st);
  status write_status_events(std::vector<status_event_key>& del, std::vector<status_event_key>& ins,
                             std::vector<orphan_row>& orphans);
  status flush_state(txn_state& txn);
  status flush_pairs(txn_state& txn);
  status flush_pair_links(txn_state& txn);
  status flush_rollups(const txn_state& txn);
  status flush_type_rollups(const txn_state& txn);
  status flush_link_rollups(const txn_state& txn);
  status flush_domain_rollups(const txn_state& txn);
  status flush_status_rollups(const txn_state& txn);

  open_options opt_;
  std::mutex write_mu_;  // the writer connection: one transaction at a time
  std::unique_ptr<connection> writer_;
  int version_;

  sesami::store::detail::group_committer<request> committer_;  // detail/group_commit.hpp

  std::mutex pool_mu_;
  std::vector<std::unique_ptr<connection>> pool_;
  int orphans_present_ = -1;
  bool deferred_ = false;  // commits since the last durable one were not synced (write_mu_)  //
                           // status_orphans has rows: -1 not read yet (writer-side, write_mu_)
};

}  // namespace sesami::store::sqlite
