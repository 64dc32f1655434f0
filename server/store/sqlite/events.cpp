// Storing events: each request's rows, their tags, the (message, recipient) pairs' state and its
// status_events index, written back once per group commit.
#include <algorithm>
#include <cstdio>

#include "store.hpp"
#include "webhooks.hpp"

namespace sesami::store::sqlite {

result<ingest_summary> sqlite_store::ingest_one(txn_state& txn, request& req) {
  ingest_summary sum;
  sum.received = req.items.size();
  auto days = retention_days(txn, req.workspace);
  if (!days) return days.error();
  const std::int64_t cutoff = *days > 0 ? req.now - *days * ms_per_day : INT64_MIN;
  const std::string ws(req.workspace);
  txn.cutoffs[ws] = cutoff;

  auto ins = writer_->prepare_static(
      "INSERT INTO events (workspace, id, ts, type, message_id, recipient, machine, config_set, "
      "doc) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT DO NOTHING");
  if (!ins) return ins.error();
  // Newly stored events that change a pair's row or a pair-link's first click; applied after
  // every row of the request is in, so that the rows they need are read in one sorted pass.
  struct later {
    const sesami::event* ev;
    std::string recipient;
    std::optional<delivery_status> status;  // none: subscription / unknown
    std::int64_t seq;                       // events.seq, for status_events
  };
  std::vector<later> pending;
  pending.reserve(req.items.size());
  std::vector<webhook_event_ref> hooks;  // the outbox: deliveries of the new events
  std::string recipient, blob;
  for (const auto& item : req.items) {
    const sesami::event& ev = *item.ev;
    if (ev.timestamp < cutoff) {
      ++sum.expired;
      continue;
    }
    recipient = ev.recipient ? ascii_lower(*ev.recipient) : std::string();
    blob = id_to_blob(item.id);
    auto& s = **ins;
    s.bind(1, ws);
    s.bind_blob_static(2, blob);
    s.bind(3, ev.timestamp);
    s.bind(4, static_cast<int>(ev.type));
    s.bind_static(5, ev.message_id);
    s.bind_static(6, recipient);
    s.bind(7, ev.machine() ? 1 : 0);
    s.bind_static(8, ev.configuration_set);
    s.bind_static(9, item.doc);
    if (auto r = run(*writer_, s, "cannot store event"); !r) return r.error();
    if (writer_->changes() == 0) {
      ++sum.duplicates;
      continue;
    }
    ++sum.stored;
    hooks.push_back({item.id, ev.type});
    const std::int64_t seq = sqlite3_last_insert_rowid(writer_->get());
    if (auto t = index_tags(ws, seq, ev); !t) return t.error();

    // A recipient-less event (an open of a multi-recipient message) belongs to the pair
    // (message, ''), as in the core's aggregation: its opens and clicks count as unique once
    // per message, and the pair has a status like any other. Events without a status
    // (subscription) still join their pair's status_events rows.
    pending.push_back({&ev, recipient, status_of(ev.type), seq});

    if (!recipient.empty()) {
      if (!item.suppress.empty()) {
        // Dated by the event, not by its arrival: an imported 2016 bounce was suppressed in 2016.
        suppression_entry e{recipient, item.suppress, suppression_source::event, item.id,
                            ev.timestamp > 0 ? ev.timestamp : req.now};
        auto n = insert_suppression(ws, e);
        if (!n) return n.error();
        sum.suppressed += *n;
      }
    }
    if (req.remember_sns && !ev.source.sns_message_id.empty()) {
      auto st = writer_->prepare_static(
          "INSERT INTO sns_messages (workspace, sns_message_id, seen_at) VALUES (?1, ?2, ?3) "
          "ON CONFLICT DO NOTHING");
      if (!st) return st.error();
      (*st)->bind(1, ws);
      (*st)->bind(2, ev.source.sns_message_id);
      (*st)->bind(3, req.now);
      if (auto r = run(*writer_, **st, "cannot record SNS message"); !r) return r.error();
    }
  }
  if (auto w = enqueue_webhook_deliveries(*writer_, ws, hooks, req.now); !w) return w.error();
  if (pending.empty()) return sum;

  // Read the rows this request needs that the transaction has not seen yet, in key order: one
  // walk along each primary key instead of a random lookup per event.
  std::vector<pair_key> need;
  std::vector<pair_link_key> need_links;
  for (const auto& l : pending) {
    pair_key k{ws, l.ev->message_id, l.recipient};
    if (!txn.pairs.contains(k)) need.push_back(std::move(k));
    if (auto* c = l.ev->get<click_info>(); c && !c->link.empty()) {
      pair_link_key lk{ws, l.ev->message_id, l.recipient, c->link};
      if (!txn.pair_links.contains(lk)) need_links.push_back(std::move(lk));
    }
  }
  if (auto r = load_pairs(txn, need); !r) return r.error();
  if (auto r = load_pair_links(txn, need_links); !r) return r.error();
  // The core computes each event's effect on its pair and on the rollups (rollup.hpp); the
  // transaction sums the deltas and persists them at commit.
  sesami::rollup_deltas deltas;
  for (const auto& l : pending) {
    pair_state& p = txn.pairs[pair_key{ws, l.ev->message_id, l.recipient}];
    link_state* link = nullptr;
    if (auto* c = l.ev->get<click_info>(); c && !c->link.empty())
      link = &txn.pair_links[pair_link_key{ws, l.ev->message_id, l.recipient, c->link}];
    const std::optional<std::int64_t> first_click = link ? link->first : std::nullopt;
    deltas.clear();
    sesami::roll_up(*l.ev, l.recipient, p.state, link ? &link->first : nullptr, deltas);
    if (link && link->first != first_click) link->dirty = true;
    if (l.status) p.dirty = true;
    txn.add(ws, deltas);
    p.added.emplace_back(l.ev->timestamp, l.seq);
  }
  return sum;
}

status sqlite_store::load_pairs(txn_state& txn, std::vector<pair_key>& keys) {
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  auto sel = writer_->prepare_static(
      "SELECT status, first_seen, last_seen, first_open, first_human_open, first_click, "
      "first_human_click, events FROM recipient_status WHERE workspace = ?1 AND "
      "message_id = ?2 AND recipient = ?3");
  if (!sel) return sel.error();
  auto& s = **sel;
  for (auto& k : keys) {
    reset_on_exit guard{&s};
    s.bind_static(1, k.workspace);
    s.bind_static(2, k.message_id);
    s.bind_static(3, k.recipient);
    const int rc = s.step();
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return writer_->fail(rc, "cannot read status");
    pair_state p;
    p.loaded = true;
    if (rc == SQLITE_ROW) {
      p.original = static_cast<int>(s.int64(0));
      p.state.status = static_cast<delivery_status>(p.original);
      p.state.first_seen = p.original_first_seen = s.int64(1);
      p.state.last_seen = s.int64(2);
      for (int i = 0; i < 4; ++i)
        if (!s.is_null(3 + i)) p.state.firsts[static_cast<std::size_t>(i)] = s.int64(3 + i);
      p.events = s.text(7);
    }
    txn.pairs.emplace(std::move(k), p);
  }
  return {};
}

status sqlite_store::load_pair_links(txn_state& txn, std::vector<pair_link_key>& keys) {
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  auto sel = writer_->prepare_static(
      "SELECT first_click FROM pair_links WHERE workspace = ?1 AND message_id = ?2 AND "
      "recipient = ?3 AND link = ?4");
  if (!sel) return sel.error();
  auto& s = **sel;
  for (auto& k : keys) {
    reset_on_exit guard{&s};
    s.bind_static(1, std::get<0>(k));
    s.bind_static(2, std::get<1>(k));
    s.bind_static(3, std::get<2>(k));
    s.bind_static(4, std::get<3>(k));
    const int rc = s.step();
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return writer_->fail(rc, "cannot read link clicks");
    link_state l;
    l.loaded = true;
    if (rc == SQLITE_ROW) l.first = s.int64(0);
    txn.pair_links.emplace(std::move(k), l);
  }
  return {};
}

// User tags (not SES's automatic ses:* ones) of a newly stored event, for tag filters.
status sqlite_store::index_tags(const std::string& ws, std::int64_t seq, const sesami::event& ev) {
  for (const auto& [name, values] : ev.tags) {
    if (name.rfind("ses:", 0) == 0) continue;
    for (const auto& v : values) {
      auto st = writer_->prepare_static(
          "INSERT INTO event_tags (workspace, name, value, ts, seq) VALUES (?1, ?2, ?3, ?4, ?5) "
          "ON CONFLICT DO NOTHING");
      if (!st) return st.error();
      auto& s = **st;
      s.bind(1, ws);
      s.bind(2, name);
      s.bind(3, v);
      s.bind(4, ev.timestamp);
      s.bind(5, seq);
      if (auto r = run(*writer_, s, "cannot index tags"); !r) return r;
    }
  }
  return {};
}

// recipient_status.events: "ts.seq" entries joined by ','.
void sqlite_store::append_listed(std::string& list, std::int64_t ts, std::int64_t seq) {
  char buf[48];
  const int n = std::snprintf(buf, sizeof buf, "%s%lld.%lld", list.empty() ? "" : ",",
                              static_cast<long long>(ts), static_cast<long long>(seq));
  list.append(buf, static_cast<std::size_t>(n));
}

// Moves the events a new pair's first status finds waiting in status_orphans into its list.
status sqlite_store::adopt_orphans(const pair_key& key, std::string& list,
                                   std::vector<status_event_key>& se_ins, int st) {
  if (orphans_present_ < 0) {  // read once per store: normally the table stays empty
    auto any = writer_->prepare_static("SELECT EXISTS (SELECT 1 FROM status_orphans)");
    if (!any) return any.error();
    reset_on_exit guard{*any};
    if ((*any)->step() != SQLITE_ROW) return writer_->fail(SQLITE_ERROR, "cannot read orphans");
    orphans_present_ = (*any)->int64(0) != 0 ? 1 : 0;
  }
  if (orphans_present_ == 0) return {};
  auto sel = writer_->prepare_static(
      "DELETE FROM status_orphans WHERE workspace = ?1 AND message_id = ?2 AND recipient = ?3 "
      "RETURNING ts, seq");
  if (!sel) return sel.error();
  auto& s = **sel;
  reset_on_exit guard{&s};
  s.bind_static(1, key.workspace);
  s.bind_static(2, key.message_id);
  s.bind_static(3, key.recipient);
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    se_ins.push_back({&key.workspace, st, s.int64(0), s.int64(1)});
    append_listed(list, s.int64(0), s.int64(1));
  }
  if (rc != SQLITE_DONE) return writer_->fail(rc, "cannot adopt status orphans");
  return {};
}

status sqlite_store::write_status_events(std::vector<status_event_key>& del,
                                         std::vector<status_event_key>& ins,
                                         std::vector<orphan_row>& orphans) {
  const auto by_key = [](const status_event_key& a, const status_event_key& b) {
    return a.tie() < b.tie();
  };
  std::sort(del.begin(), del.end(), by_key);  // key order: neighbouring rows share pages
  std::sort(ins.begin(), ins.end(), by_key);
  auto d = writer_->prepare_static(
      "DELETE FROM status_events WHERE workspace = ?1 AND status = ?2 AND ts = ?3 AND seq = ?4");
  if (!d) return d.error();
  auto i = writer_->prepare_static(
      "INSERT INTO status_events (workspace, status, ts, seq) VALUES (?1, ?2, ?3, ?4) "
      "ON CONFLICT DO NOTHING");
  if (!i) return i.error();
  for (auto [list, st] : {std::pair{&del, *d}, std::pair{&ins, *i}}) {
    for (const auto& k : *list) {
      st->bind_static(1, *k.workspace);
      st->bind(2, k.status);
      st->bind(3, k.ts);
      st->bind(4, k.seq);
      if (auto r = run(*writer_, *st, "cannot update status index"); !r) return r;
    }
  }
  if (orphans.empty()) return {};
  auto o = writer_->prepare_static(
      "INSERT INTO status_orphans (workspace, message_id, recipient, ts, seq) "
      "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING");
  if (!o) return o.error();
  for (const auto& r : orphans) {
    auto& s = **o;
    s.bind_static(1, r.key->workspace);
    s.bind_static(2, r.key->message_id);
    s.bind_static(3, r.key->recipient);
    s.bind(4, r.ts);
    s.bind(5, r.seq);
    if (auto x = run(*writer_, s, "cannot record status orphan"); !x) return x;
  }
  orphans_present_ = 1;
  return {};
}

// Writes back what the transaction changed: pair rows and their status_events, first clicks,
// rollup counters.
status sqlite_store::flush_state(txn_state& txn) {
  if (auto r = flush_pairs(txn); !r) return r;
  if (auto r = flush_pair_links(txn); !r) return r;
  return flush_rollups(txn);
}

// The pairs' rows (recipient_status) the transaction changed, and their status_events rows.
status sqlite_store::flush_pairs(txn_state& txn) {
  auto up = writer_->prepare_static(
      "INSERT INTO recipient_status (workspace, message_id, recipient, status, first_seen, "
      "last_seen, first_open, first_human_open, first_click, first_human_click, events) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
      "ON CONFLICT (workspace, message_id, recipient) DO UPDATE SET status = excluded.status, "
      "first_seen = excluded.first_seen, last_seen = excluded.last_seen, "
      "first_open = excluded.first_open, first_human_open = excluded.first_human_open, "
      "first_click = excluded.first_click, first_human_click = excluded.first_human_click, "
      "events = excluded.events");
  if (!up) return up.error();
  // A row load_pairs found is updated in place: one descent instead of the upsert's two.
  auto upd = writer_->prepare_static(
      "UPDATE recipient_status SET status = ?4, first_seen = ?5, last_seen = ?6, "
      "first_open = ?7, first_human_open = ?8, first_click = ?9, first_human_click = ?10, "
      "events = ?11 WHERE workspace = ?1 AND message_id = ?2 AND recipient = ?3");
  if (!upd) return upd.error();
  // status_events rows to move (old status) and to add, applied in key order after the pairs.
  std::vector<status_event_key> se_del, se_ins;
  std::vector<orphan_row> orphans;
  std::string list;
  // Written in primary key order: neighbouring rows share B-tree pages.
  std::vector<const std::pair<const pair_key, pair_state>*> order;
  order.reserve(txn.pairs.size());
  for (const auto& e : txn.pairs)
    if (e.second.dirty || !e.second.added.empty()) order.push_back(&e);
  std::sort(order.begin(), order.end(), [](auto* a, auto* b) { return a->first < b->first; });
  for (const auto* e : order) {
    const pair_key& key = e->first;
    const pair_state& p = e->second;
    if (p.status() < 0) {  // only status-less events so far: no status row, wait as orphans
      for (const auto& [ts, seq] : p.added) orphans.push_back({&key, ts, seq});
      continue;
    }
    // The pair's events and their status_events rows: kept in place while the status stays;
    // moved (dropping entries retention has deleted) when it changed; new ones added.
    const auto cut = txn.cutoffs.find(key.workspace);
    const std::int64_t cutoff = cut == txn.cutoffs.end() ? INT64_MIN : cut->second;
    if (p.original >= 0 && p.status() != p.original) {
      list.clear();
      for_each_listed(p.events, [&](std::int64_t ts, std::int64_t seq) {
        if (ts < cutoff) return;
        se_del.push_back({&key.workspace, p.original, ts, seq});
        se_ins.push_back({&key.workspace, p.status(), ts, seq});
        append_listed(list, ts, seq);
      });
    } else {
      list = p.events;
    }
    if (p.original < 0) {  // a new pair: adopt events that arrived before its first status
      if (auto a = adopt_orphans(key, list, se_ins, p.status()); !a) return a;
    }
    for (const auto& [ts, seq] : p.added) {
      se_ins.push_back({&key.workspace, p.status(), ts, seq});
      append_listed(list, ts, seq);
    }
    auto& u = p.original >= 0 ? **upd : **up;
    u.bind_static(1, key.workspace);
    u.bind_static(2, key.message_id);
    u.bind_static(3, key.recipient);
    u.bind(4, p.status());
    u.bind(5, p.state.first_seen);
    u.bind(6, p.state.last_seen);
    for (int i = 0; i < 4; ++i) {
      if (const auto& f = p.state.firsts[static_cast<std::size_t>(i)])
        u.bind(7 + i, *f);
      else
        u.bind_null(7 + i);
    }
    u.bind_static(11, list);
    if (auto r = run(*writer_, u, "cannot update status"); !r) return r;
  }
  if (auto r = write_status_events(se_del, se_ins, orphans); !r) return r;
  return {};
}

// The first clicks per (message, recipient, link) the transaction changed.
status sqlite_store::flush_pair_links(txn_state& txn) {
  auto pl = writer_->prepare_static(
      "INSERT INTO pair_links (workspace, message_id, recipient, link, first_click) "
      "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (workspace, message_id, recipient, link) "
      "DO UPDATE SET first_click = excluded.first_click");
  if (!pl) return pl.error();
  std::vector<const std::pair<const pair_link_key, link_state>*> links;
  for (const auto& e : txn.pair_links)
    if (e.second.dirty) links.push_back(&e);
  std::sort(links.begin(), links.end(), [](auto* a, auto* b) { return a->first < b->first; });
  for (const auto* e : links) {
    auto& u = **pl;
    u.bind_static(1, std::get<0>(e->first));
    u.bind_static(2, std::get<1>(e->first));
    u.bind_static(3, std::get<2>(e->first));
    u.bind_static(4, std::get<3>(e->first));
    u.bind(5, *e->second.first);
    if (auto r = run(*writer_, u, "cannot record link click"); !r) return r;
  }
  return {};
}

}  // namespace sesami::store::sqlite
