// `sesami migrate`: an SQLite database into PostgreSQL, table by table, in batches that commit
// together with their progress (store/migrate.hpp). SQLite is read in one read transaction (one
// snapshot); PostgreSQL is written through plain multi-row INSERTs.
#include <sqlite3.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <utility>

#include <boost/json.hpp>

#include "../migrate.hpp"
#include "connection.hpp"
#include "store.hpp"

namespace sesami::store {
namespace {
namespace json = boost::json;
using pg::connection;
using pg::params;

// Every SQLite table, in the order it is copied. A table missing here stops the migration: add
// it (copy, or rebuilt with where PostgreSQL keeps it) together with the migration that makes it.
const migrate_table known_tables[] = {
    {"workspaces", migrate_treatment::copy, ""},
    {"users", migrate_treatment::copy, ""},
    {"memberships", migrate_treatment::copy, ""},
    {"invitations", migrate_treatment::copy, ""},
    {"api_keys", migrate_treatment::copy, ""},
    {"sessions", migrate_treatment::copy, ""},
    {"ingest_tokens", migrate_treatment::copy, ""},
    {"aws_accounts", migrate_treatment::copy, ""},
    {"aws_connections", migrate_treatment::copy, ""},
    {"suppressions", migrate_treatment::copy, ""},
    {"suppression_sync_baseline", migrate_treatment::copy, ""},
    {"suppression_sync_runs", migrate_treatment::copy, ""},
    {"suppression_sync_changes", migrate_treatment::copy, ""},
    {"sns_messages", migrate_treatment::copy, ""},
    {"recipient_status", migrate_treatment::copy, ""},
    {"events", migrate_treatment::copy, ""},
    {"event_tags", migrate_treatment::copy, ""},
    {"status_counts", migrate_treatment::copy, ""},
    {"rollups", migrate_treatment::copy, ""},
    {"rollups_daily", migrate_treatment::copy, ""},
    {"status_rollups", migrate_treatment::copy, ""},
    {"status_rollups_daily", migrate_treatment::copy, ""},
    {"pair_links", migrate_treatment::copy, ""},
    {"link_rollups", migrate_treatment::copy, ""},
    {"link_rollups_daily", migrate_treatment::copy, ""},
    {"domain_rollups", migrate_treatment::copy, ""},
    {"domain_rollups_daily", migrate_treatment::copy, ""},
    {"mail_secret", migrate_treatment::copy, ""},
    {"mail_idempotency", migrate_treatment::copy, ""},
    {"mail_attempts", migrate_treatment::copy, ""},
    {"mail_bulk_jobs", migrate_treatment::copy, ""},
    {"mail_bulk_batches", migrate_treatment::copy, ""},
    {"webhook_endpoints", migrate_treatment::copy, ""},
    {"webhook_deliveries", migrate_treatment::copy, ""},
    {"webhook_attempts", migrate_treatment::copy, ""},
    {"reputation_settings", migrate_treatment::copy, ""},
    {"reputation_state", migrate_treatment::copy, ""},
    {"soft_bounces", migrate_treatment::copy, ""},
    {"alerts", migrate_treatment::copy, ""},
    {"ingest_sources", migrate_treatment::copy, ""},
    {"ingest_source_hours", migrate_treatment::copy, ""},
    {"topics", migrate_treatment::copy, ""},
    {"contacts", migrate_treatment::copy, ""},
    {"contact_topics", migrate_treatment::copy, ""},
    {"email_templates", migrate_treatment::copy, ""},
    {"status_events", migrate_treatment::rebuilt,
     "events.status (each event carries its pair's current status)"},
    {"status_orphans", migrate_treatment::rebuilt, "events whose status is NULL"},
};

// SQLite columns PostgreSQL keeps differently (not copied), and PostgreSQL columns computed from
// SQLite (an expression over the row, alias t).
struct column_rule {
  std::string_view table, column, expression;
};
const column_rule skipped_columns[] = {
    {"recipient_status", "events", ""},  // SQLite's list of a pair's events, for status_events
};
const column_rule computed_columns[] = {
    {"events", "status",
     "(SELECT r.status FROM recipient_status r WHERE r.workspace = t.workspace AND "
     "r.message_id = t.message_id AND r.recipient = t.recipient)"},
};

error fail(std::string m) { return error{errc::bad_input, std::move(m)}; }
std::string ident(std::string_view name) { return "\"" + std::string(name) + "\""; }

// ---- SQLite, read only
// ---------------------------------------------------------------------------
class sqlite_source {
 public:
  ~sqlite_source() {
    if (db_) sqlite3_close(db_);
  }
  status open(const std::string& path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK)
      return fail(path + ": " + sqlite3_errmsg(db_));
    sqlite3_busy_timeout(db_, 10000);
    return exec("BEGIN");  // one snapshot for the whole run (taken at the first read)
  }
  status exec(const std::string& sql) {
    char* msg = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &msg) == SQLITE_OK) return {};
    error e = fail("SQLite: " + std::string(msg ? msg : sqlite3_errmsg(db_)));
    sqlite3_free(msg);
    return e;
  }
  struct stmt {
    sqlite3_stmt* s = nullptr;
    ~stmt() { sqlite3_finalize(s); }
  };
  result<std::unique_ptr<stmt>> prepare(const std::string& sql) {
    auto st = std::make_unique<stmt>();
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st->s, nullptr) != SQLITE_OK)
      return fail("SQLite: " + std::string(sqlite3_errmsg(db_)) + " in: " + sql);
    return st;
  }
  // The first column of every row, as text.
  result<std::vector<std::string>> column(const std::string& sql) {
    auto st = prepare(sql);
    if (!st) return st.error();
    std::vector<std::string> out;
    int rc;
    while ((rc = sqlite3_step((*st)->s)) == SQLITE_ROW) {
      const auto* t = sqlite3_column_text((*st)->s, 0);
      out.emplace_back(t ? reinterpret_cast<const char*>(t) : "");
    }
    if (rc != SQLITE_DONE) return fail("SQLite: " + std::string(sqlite3_errmsg(db_)));
    return out;
  }
  sqlite3* db() const noexcept { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

// ---- one table's plan
// ----------------------------------------------------------------------------
struct target_column {
  std::string name, type;
  bool nullable = true, has_default = false;
};
struct table_plan {
  std::string name;
  std::vector<std::string> key;      // SQLite ordering key: rowid, or the primary key's columns
  std::vector<std::string> columns;  // copied, same name on both sides
  std::vector<std::string> exprs;    // SQLite select expressions for `columns`
  std::vector<bool> bytea;           // per column: PostgreSQL bytea
  bool overriding = false;           // a GENERATED ALWAYS identity column is among them
  std::int64_t source_rows = 0;
};

std::string hex(const unsigned char* p, int n) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(static_cast<std::size_t>(n) * 2);
  for (int i = 0; i < n; ++i) out += digits[p[i] >> 4], out += digits[p[i] & 15];
  return out;
}

result<std::map<std::string, target_column>> target_columns(connection& c, const std::string& t) {
  auto r = c.exec(
      "SELECT column_name, data_type, is_nullable, column_default IS NOT NULL OR is_identity = "
      "'YES', identity_generation FROM information_schema.columns WHERE table_schema = "
      "current_schema() AND table_name = $1",
      params().text(t), "cannot read the PostgreSQL schema");
  if (!r) return r.error();
  std::map<std::string, target_column> out;
  for (int i = 0; i < r->size(); ++i) {
    target_column col{std::string(r->text(i, 0)), std::string(r->text(i, 1)),
                      r->text(i, 2) == "YES", r->text(i, 3) == "t"};
    if (!r->is_null(i, 4) && r->text(i, 4) == "ALWAYS") col.type += " always";
    out.emplace(col.name, std::move(col));
  }
  return out;
}

result<table_plan> plan_table(sqlite_source& src, connection& pg, const std::string& name) {
  table_plan p;
  p.name = name;
  auto st = src.prepare("SELECT name, pk FROM pragma_table_info(?) ORDER BY cid");
  if (!st) return st.error();
  sqlite3_bind_text((*st)->s, 1, name.c_str(), -1, SQLITE_TRANSIENT);
  std::vector<std::pair<int, std::string>> pk;
  std::vector<std::string> source_cols;
  while (sqlite3_step((*st)->s) == SQLITE_ROW) {
    std::string col = reinterpret_cast<const char*>(sqlite3_column_text((*st)->s, 0));
    if (const int k = sqlite3_column_int((*st)->s, 1)) pk.emplace_back(k, col);
    source_cols.push_back(std::move(col));
  }
  auto sql =
      src.column("SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = '" + name + "'");
  if (!sql) return sql.error();
  std::string ddl = sql->empty() ? "" : sql->front();
  std::transform(ddl.begin(), ddl.end(), ddl.begin(),
                 [](unsigned char c) { return std::toupper(c); });
  if (ddl.find("WITHOUT ROWID") == std::string::npos) {
    p.key = {"rowid"};
  } else {
    std::sort(pk.begin(), pk.end());
    for (auto& [k, col] : pk) p.key.push_back(ident(col));
  }
  auto target = target_columns(pg, name);
  if (!target) return target.error();
  if (target->empty()) return fail("table " + name + " is not in the PostgreSQL schema");
  std::set<std::string> provided;
  for (const auto& col : source_cols) {
    const bool skipped =
        std::any_of(std::begin(skipped_columns), std::end(skipped_columns),
                    [&](const auto& r) { return r.table == name && r.column == col; });
    if (skipped) continue;
    auto it = target->find(col);
    if (it == target->end())
      return fail("column " + name + "." + col +
                  " has no place in PostgreSQL (the migrator does not know it: update "
                  "server/store/postgres/from_sqlite.cpp)");
    p.columns.push_back(col);
    p.exprs.push_back("t." + ident(col));
    provided.insert(col);
  }
  for (const auto& r : computed_columns)
    if (r.table == name) {
      p.columns.emplace_back(r.column);
      p.exprs.emplace_back(r.expression);
      provided.emplace(r.column);
    }
  for (const auto& [col, info] : *target) {
    if (!provided.count(col) && !info.nullable && !info.has_default)
      return fail("PostgreSQL column " + name + "." + col +
                  " has no source in SQLite (the migrator does not know it)");
  }
  for (const auto& col : p.columns) {
    const auto& info = target->at(col);
    p.bytea.push_back(info.type.starts_with("bytea"));
    if (info.type.ends_with(" always")) p.overriding = true;
  }
  auto n = src.column("SELECT count(*) FROM " + ident(name));
  if (!n) return n.error();
  p.source_rows = std::stoll(n->front());
  return p;
}

// ---- progress
// ------------------------------------------------------------------------------------
constexpr std::string_view progress_ddl =
    "CREATE TABLE IF NOT EXISTS sesami_migrate_progress (tbl text PRIMARY KEY, source text NOT "
    "NULL, last_key text NOT NULL DEFAULT '', copied bigint NOT NULL DEFAULT 0, done boolean NOT "
    "NULL DEFAULT false)";

struct progress_row {
  std::string last_key;
  std::int64_t copied = 0;
  bool done = false;
};

// The key of the last row copied, as JSON: numbers, strings, {"x": hex} for blobs.
json::value key_value(sqlite3_stmt* s, int i) {
  switch (sqlite3_column_type(s, i)) {
    case SQLITE_INTEGER:
      return sqlite3_column_int64(s, i);
    case SQLITE_FLOAT:
      return sqlite3_column_double(s, i);
    case SQLITE_BLOB:
      return json::object{{"x", hex(static_cast<const unsigned char*>(sqlite3_column_blob(s, i)),
                                    sqlite3_column_bytes(s, i))}};
    case SQLITE_NULL:
      return nullptr;
    default:
      return json::string(reinterpret_cast<const char*>(sqlite3_column_text(s, i)));
  }
}

void bind_key(sqlite3_stmt* s, int at, const json::value& v) {
  if (v.is_int64()) {
    sqlite3_bind_int64(s, at, v.get_int64());
  } else if (v.is_double()) {
    sqlite3_bind_double(s, at, v.get_double());
  } else if (v.is_string()) {
    sqlite3_bind_text(s, at, v.get_string().c_str(), static_cast<int>(v.get_string().size()),
                      SQLITE_TRANSIENT);
  } else if (v.is_object()) {
    const auto& h = v.get_object().at("x").get_string();
    std::string bytes;
    for (std::size_t i = 0; i + 1 < h.size(); i += 2)
      bytes +=
          static_cast<char>(std::stoi(std::string(std::string_view(h).substr(i, 2)), nullptr, 16));
    sqlite3_bind_blob(s, at, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
  } else {
    sqlite3_bind_null(s, at);
  }
}

// One value of the select for PostgreSQL's text input.
void add_param(params& p, sqlite3_stmt* s, int i, bool bytea) {
  const int type = sqlite3_column_type(s, i);
  if (type == SQLITE_NULL) {
    p.null();
  } else if (bytea) {
    const auto* b = static_cast<const unsigned char*>(sqlite3_column_blob(s, i));
    p.text("\\x" + hex(b, sqlite3_column_bytes(s, i)));
  } else if (type == SQLITE_INTEGER) {
    p.integer(sqlite3_column_int64(s, i));
  } else if (type == SQLITE_FLOAT) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", sqlite3_column_double(s, i));
    p.text(buf);
  } else {
    p.text(std::string_view(reinterpret_cast<const char*>(sqlite3_column_text(s, i)),
                            static_cast<std::size_t>(sqlite3_column_bytes(s, i))));
  }
}

}  // namespace

namespace {

// Copies the rows of one table after the progress' last key, a batch per transaction.
class table_copier {
 public:
  table_copier(sqlite_source& src, connection& pg, const table_plan& p, const migrate_options& o)
      : src_(src), pg_(pg), p_(p), o_(o) {}

  status run(progress_row pr) {
    json::value last = pr.last_key.empty() ? json::value() : json::parse(pr.last_key);
    const std::size_t nkey = p_.key.size();
    std::string keys;
    for (std::size_t i = 0; i < nkey; ++i) keys += (i ? ", t." : "t.") + p_.key[i];
    std::string select = "SELECT " + keys;
    for (const auto& e : p_.exprs) select += ", " + e;
    select += " FROM " + ident(p_.name) + " AS t";
    const std::string order = " ORDER BY " + keys + " LIMIT ?";
    std::string after = " WHERE (" + keys + ") > (";
    for (std::size_t i = 0; i < nkey; ++i) after += i ? ", ?" : "?";
    after += ")";
    auto first = src_.prepare(select + order);
    auto next = src_.prepare(select + after + order);
    if (!first) return first.error();
    if (!next) return next.error();
    std::int64_t copied = pr.copied;
    for (;;) {
      sqlite3_stmt* s = last.is_array() ? (*next)->s : (*first)->s;
      sqlite3_reset(s);
      int at = 1;
      if (last.is_array())
        for (const auto& v : last.get_array()) bind_key(s, at++, v);
      sqlite3_bind_int64(s, at, static_cast<std::int64_t>(std::max<std::size_t>(o_.batch, 1)));
      auto n = copy_batch(s, last);
      if (!n) return n.error();
      if (*n == 0) break;
      copied += *n;
      if (o_.progress) o_.progress(p_.name, copied, p_.source_rows);
    }
    auto d = pg_.exec("UPDATE sesami_migrate_progress SET done = true WHERE tbl = $1",
                      params().text(p_.name), "cannot record the migration's progress");
    if (!d) return d.error();
    return {};
  }

 private:
  // Reads up to a batch from `s`, inserts it, and moves the progress, in one transaction.
  result<std::int64_t> copy_batch(sqlite3_stmt* s, json::value& last) {
    const int nkey = static_cast<int>(p_.key.size());
    const std::size_t ncol = p_.columns.size();
    // PostgreSQL takes at most 65 535 parameters per statement.
    const std::size_t per_statement =
        std::max<std::size_t>(1, 60000 / std::max<std::size_t>(ncol, 1));
    std::vector<params> statements(1);
    std::vector<std::size_t> rows_in(1, 0);
    std::set<pg::month> months;
    const auto ts_at = std::find(p_.columns.begin(), p_.columns.end(), "ts") - p_.columns.begin();
    std::int64_t n = 0;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      if (rows_in.back() == per_statement) statements.emplace_back(), rows_in.push_back(0);
      for (std::size_t c = 0; c < ncol; ++c)
        add_param(statements.back(), s, nkey + static_cast<int>(c), p_.bytea[c]);
      if (p_.name == "events" && static_cast<std::size_t>(ts_at) < ncol)
        months.insert(pg::month_of(sqlite3_column_int64(s, nkey + static_cast<int>(ts_at))));
      json::array key;
      for (int k = 0; k < nkey; ++k) key.push_back(key_value(s, k));
      last = std::move(key);
      ++rows_in.back();
      ++n;
    }
    if (rc != SQLITE_DONE) return fail("SQLite: " + std::string(sqlite3_errmsg(src_.db())));
    if (n == 0) return 0;
    if (auto b = pg_.exec("BEGIN", "cannot begin"); !b) return b.error();
    auto rollback = [&](const error& e) -> result<std::int64_t> {
      pg_.rollback();
      return e;
    };
    if (!months.empty())
      if (auto pt = pg::pg_store::ensure_partitions(pg_, months); !pt) return rollback(pt.error());
    for (std::size_t i = 0; i < statements.size(); ++i)
      if (auto r = pg_.exec(insert_sql(rows_in[i]), statements[i], "cannot copy " + p_.name); !r)
        return rollback(r.error());
    auto pr = pg_.exec(
        "UPDATE sesami_migrate_progress SET last_key = $2, copied = copied + $3 WHERE tbl = $1",
        params().text(p_.name).text(json::serialize(last)).integer(n),
        "cannot record the migration's progress");
    if (!pr) return rollback(pr.error());
    if (auto c = pg_.exec("COMMIT", "cannot commit " + p_.name); !c) return rollback(c.error());
    return n;
  }

  std::string insert_sql(std::size_t rows) const {
    std::string sql = "INSERT INTO " + ident(p_.name) + " (";
    for (std::size_t c = 0; c < p_.columns.size(); ++c)
      sql += (c ? ", " : "") + ident(p_.columns[c]);
    sql += p_.overriding ? ") OVERRIDING SYSTEM VALUE VALUES " : ") VALUES ";
    std::size_t param = 1;
    for (std::size_t r = 0; r < rows; ++r) {
      sql += r ? ",(" : "(";
      for (std::size_t c = 0; c < p_.columns.size(); ++c)
        sql += (c ? ",$" : "$") + std::to_string(param++);
      sql += ')';
    }
    return sql;
  }

  sqlite_source& src_;
  connection& pg_;
  const table_plan& p_;
  const migrate_options& o_;
};

// An empty target, or an unfinished migration of the same source: which tables are done already.
result<std::map<std::string, progress_row>> start_or_resume(connection& pg,
                                                            const std::vector<table_plan>& plans,
                                                            const std::string& source,
                                                            bool& resumed) {
  if (auto d = pg.script(progress_ddl, "cannot create the migration's progress table"); !d)
    return d.error();
  auto rows = pg.exec("SELECT tbl, source, last_key, copied, done FROM sesami_migrate_progress",
                      "cannot read the migration's progress");
  if (!rows) return rows.error();
  std::map<std::string, progress_row> out;
  for (int i = 0; i < rows->size(); ++i) {
    if (rows->text(i, 1) != source)
      return fail("the target holds a migration of another source (" +
                  std::string(rows->text(i, 1)) + "); migrate into an empty database");
    out[std::string(rows->text(i, 0))] =
        progress_row{std::string(rows->text(i, 2)), rows->int64(i, 3), rows->text(i, 4) == "t"};
  }
  resumed = !out.empty();
  if (!resumed) {
    // A fresh migration: every table must be empty (mail_secret, made by the first server start,
    // is replaced: the unsubscribe links already sent were signed with SQLite's).
    std::string held;
    for (const auto& p : plans) {
      if (p.name == "mail_secret") continue;
      auto any =
          pg.exec("SELECT EXISTS (SELECT 1 FROM " + ident(p.name) + ")", "cannot read " + p.name);
      if (!any) return any.error();
      if (any->text(0, 0) == "t") held += (held.empty() ? "" : ", ") + p.name;
    }
    if (!held.empty()) {
      std::string ws;
      if (auto w = pg.exec("SELECT id FROM workspaces ORDER BY id LIMIT 10", "cannot read"))
        for (int i = 0; i < w->size(); ++i)
          ws += (ws.empty() ? "" : ", ") + std::string(w->text(i, 0));
      return fail("the target database already holds data (" + held +
                  (ws.empty() ? "" : "; workspaces: " + ws) +
                  "); sesami migrate moves into an empty database (or continues its own "
                  "unfinished run): create a new database or schema");
    }
  }
  if (auto b = pg.exec("BEGIN", "cannot begin"); !b) return b.error();
  if (!resumed)
    if (auto d = pg.exec("DELETE FROM mail_secret", "cannot replace mail_secret"); !d) {
      pg.rollback();
      return d.error();
    }
  for (const auto& p : plans)
    if (!out.count(p.name)) {
      auto r = pg.exec(
          "INSERT INTO sesami_migrate_progress (tbl, source) VALUES ($1, $2) ON CONFLICT DO "
          "NOTHING",
          params().text(p.name).text(source), "cannot record the migration's progress");
      if (!r) {
        pg.rollback();
        return r.error();
      }
      out[p.name] = progress_row{};
    }
  if (auto c = pg.exec("COMMIT", "cannot commit"); !c) return c.error();
  return out;
}

// Sequences and identities continue after the copied values, so new rows get new numbers.
status advance_sequences(connection& pg, const std::vector<table_plan>& plans) {
  auto cols = pg.exec(
      "SELECT table_name, column_name, CASE WHEN is_identity = 'YES' THEN "
      "pg_get_serial_sequence(quote_ident(table_name), column_name) ELSE substring(column_default "
      "from 'nextval\\(''([^'']+)''') END FROM information_schema.columns WHERE table_schema = "
      "current_schema() AND (is_identity = 'YES' OR column_default LIKE 'nextval(%')",
      "cannot read the PostgreSQL sequences");
  if (!cols) return cols.error();
  for (int i = 0; i < cols->size(); ++i) {
    const std::string t(cols->text(i, 0)), c(cols->text(i, 1)), seq(cols->text(i, 2));
    if (seq.empty() ||
        std::none_of(plans.begin(), plans.end(), [&](const auto& p) { return p.name == t; }))
      continue;
    auto r = pg.exec("SELECT setval($1::regclass, coalesce((SELECT max(" + ident(c) + ") FROM " +
                         ident(t) + "), 0) + 1, false)",
                     params().text(seq), "cannot advance the sequence " + seq);
    if (!r) return r.error();
  }
  return {};
}

}  // namespace

std::vector<migrate_table> migrate_known_tables() {
  return {std::begin(known_tables), std::end(known_tables)};
}

result<migrate_report> migrate_sqlite_to_postgres(const std::string& sqlite_path,
                                                  const std::string& pg_url,
                                                  const migrate_options& o) {
  sqlite_source src;
  if (auto s = src.open(sqlite_path); !s) return s.error();
  // Every table of the SQLite schema must be one the migrator knows, before anything is written.
  auto tables = src.column(
      "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY "
      "name");
  if (!tables) return tables.error();
  std::string unknown;
  for (const auto& t : *tables)
    if (std::none_of(std::begin(known_tables), std::end(known_tables),
                     [&](const auto& k) { return k.name == t; }))
      unknown += (unknown.empty() ? "" : ", ") + t;
  if (!unknown.empty())
    return fail("the SQLite database has tables the migrator does not know (" + unknown +
                "): nothing was copied; this sesami cannot move them (update it, or "
                "server/store/postgres/from_sqlite.cpp)");
  auto pg = connection::open(pg_url);
  if (!pg) return pg.error();
  std::vector<table_plan> plans;
  for (const auto& k : known_tables) {
    if (k.treatment != migrate_treatment::copy) continue;
    if (std::find(tables->begin(), tables->end(), k.name) == tables->end()) continue;
    auto p = plan_table(src, **pg, std::string(k.name));
    if (!p) return p.error();
    plans.push_back(std::move(*p));
  }
  std::error_code ec;
  const std::string source = std::filesystem::absolute(sqlite_path, ec).lexically_normal().string();
  migrate_report report;
  auto progress = start_or_resume(**pg, plans, source, report.resumed);
  if (!progress) return progress.error();
  for (const auto& p : plans) {
    const auto& pr = (*progress)[p.name];
    if (pr.done) continue;
    table_copier copier(src, **pg, p, o);
    if (auto s = copier.run(pr); !s) return s.error();
  }
  if (auto s = advance_sequences(**pg, plans); !s) return s.error();
  for (const auto& p : plans) {
    auto n = (*pg)->exec("SELECT count(*) FROM " + ident(p.name), "cannot count " + p.name);
    if (!n) return n.error();
    report.tables.push_back({p.name, p.source_rows, n->int64(0, 0)});
  }
  // The rebuilt index: every event filed under a status in SQLite has one in PostgreSQL.
  auto filed = src.column("SELECT count(*) FROM status_events");
  auto with_status =
      (*pg)->exec("SELECT count(*) FROM events WHERE status IS NOT NULL", "cannot count events");
  if (filed && with_status)
    report.tables.push_back(
        {"status_events (events.status)", std::stoll(filed->front()), with_status->int64(0, 0)});
  return report;
}

}  // namespace sesami::store
