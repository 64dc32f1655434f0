// Retention: whole months dropped when no other workspace has rows in them, the rest deleted in
// short batches.
#include <functional>

#include "store.hpp"

namespace sesami::store::pg {

// Whole months older than the cutoff go at once (DETACH + DROP: no row-by-row delete, no bloat)
// when no other workspace has events in them; the rest in batches of `batch` rows, one short
// transaction each, so ingestion interleaves. Several nodes may purge at once: the drops take a
// self-conflicting lock and look again for the partition, and a batch DELETE of rows another
// node deleted first deletes nothing (READ COMMITTED re-checks a row it waited for).
result<std::size_t> pg_store::apply_retention(std::string_view workspace, std::int64_t now,
                                              std::size_t batch,
                                              const std::function<bool()>& between) {
  auto ws = find_workspace(workspace);
  if (!ws) return ws.error();
  if (!*ws) return error{errc::not_found, "no workspace '" + std::string(workspace) + "'"};
  if ((*ws)->retention_days <= 0) return std::size_t{0};
  const std::int64_t cutoff = now - (*ws)->retention_days * ms_per_day;
  auto c = pool_.acquire();
  if (!c) return c.error();
  auto& conn = **c;
  std::size_t total = 0;

  auto parts = conn.exec(
      "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
      "WHERE i.inhparent = 'events'::regclass ORDER BY 1",
      "cannot list event partitions");
  if (!parts) return parts.error();
  for (int i = 0; i < parts->size(); ++i) {
    const std::string name(parts->text(i, 0));
    const auto mo = month_of_name(name);
    if (!mo || start_ms(next(*mo)) > cutoff) continue;
    auto dropped = in_transaction(conn, [&](connection& cn) -> result<std::size_t> {
      // Writers hold ROW EXCLUSIVE on events and then on the partitions they write (an event
      // status update may reach an old month), so this takes the same order: SHARE ROW EXCLUSIVE
      // on events and its partitions waits for running writers and holds new ones (not readers)
      // until the drop commits, and the check below stays true. No deadlock with a writer; and
      // the mode conflicts with itself, so a second node's purge waits here, then finds the
      // partition gone.
      if (auto l =
              cn.script("LOCK TABLE events IN SHARE ROW EXCLUSIVE MODE", "cannot lock partition");
          !l)
        return l.error();
      auto still = cn.exec("SELECT to_regclass($1) IS NOT NULL", params().text(name),
                           "cannot inspect partition");
      if (!still) return still.error();
      if (still->text(0, 0) != "t") return std::size_t{0};
      auto others = cn.exec("SELECT count(*) FILTER (WHERE workspace <> $1), count(*) FROM " + name,
                            params().text(workspace), "cannot inspect partition");
      if (!others) return others.error();
      if (others->int64(0, 0) > 0) return std::size_t{0};
      const auto n = static_cast<std::size_t>(others->int64(0, 1));
      auto tags =
          cn.exec("DELETE FROM event_tags WHERE workspace = $1 AND ts >= $2 AND ts < $3",
                  params().text(workspace).integer(start_ms(*mo)).integer(start_ms(next(*mo))),
                  "cannot delete old tags");
      if (!tags) return tags.error();
      if (auto d = cn.script("ALTER TABLE events DETACH PARTITION " + name + "; DROP TABLE " + name,
                             "cannot drop partition " + name);
          !d)
        return d.error();
      return n;
    });
    if (!dropped) return dropped.error();
    total += *dropped;
    if (*dropped > 0 && between && !between()) return total;
  }

  for (;;) {
    auto n = conn.exec(
        "WITH d AS (DELETE FROM events WHERE (workspace, ts, seq) IN (SELECT workspace, ts, seq "
        "FROM events WHERE workspace = $1 AND ts < $2 LIMIT $3) RETURNING ts, seq), "
        "t AS (DELETE FROM event_tags x USING d WHERE x.workspace = $1 AND x.ts = d.ts AND "
        "x.seq = d.seq) SELECT count(*) FROM d",
        params().text(workspace).integer(cutoff).integer(
            static_cast<std::int64_t>(std::max<std::size_t>(batch, 1))),
        "cannot delete old events");
    if (!n) return n.error();
    const auto deleted = static_cast<std::size_t>(n->int64(0, 0));
    total += deleted;
    if (deleted == 0) break;
    if (between && !between()) return total;
  }
  auto sns =
      conn.exec("DELETE FROM sns_messages WHERE workspace = $1 AND seen_at < $2",
                params().text(workspace).integer(cutoff), "cannot delete old SNS message ids");
  if (!sns) return sns.error();
  return total;
}

}  // namespace sesami::store::pg
