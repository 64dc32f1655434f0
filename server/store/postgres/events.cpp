// Storing events: each workspace's events of a group in one statement, the pairs' state and first
// clicks read and written back once per group commit.
#include "store.hpp"
#include "webhooks.hpp"

namespace sesami::store::pg {

// Every request of the group for one workspace, as if they ran one after the other: the first
// occurrence of an identity (in request order, then item order) is the stored one.
status pg_store::ingest_workspace(connection& c, txn_state& txn, const std::string& ws, int days,
                                  const std::vector<request*>& reqs) {
  summaries sums;
  // 1. The events retention still keeps.
  std::vector<slot> live;
  for (auto* r : reqs) {
    auto& sum = sums[r];
    sum.received = r->items.size();
    const std::int64_t cutoff = days > 0 ? r->now - days * ms_per_day : INT64_MIN;
    for (const auto& item : r->items) {
      const sesami::event& ev = *item.ev;
      if (ev.timestamp < cutoff) {
        ++sum.expired;
        continue;
      }
      live.push_back(slot{r, &item, ev.recipient ? ascii_lower(*ev.recipient) : std::string(),
                          id_hex(item.id)});
    }
  }
  auto finish = [&] {
    for (auto* r : reqs) r->outcome = sums[r];
    return status{};
  };
  if (live.empty()) return finish();
  auto stored = insert_events(c, txn, ws, live, sums);
  if (!stored) return stored.error();
  if (!stored->empty()) {
    std::vector<webhook_event_ref> hooks;  // the outbox: deliveries of the new events, in this txn
    for (const slot* sl : *stored) hooks.push_back({sl->hex, sl->item->ev->type});
    if (auto w = enqueue_webhook_deliveries(c, ws, hooks, stored->front()->req->now); !w) return w;
    if (auto a = apply_stored(c, txn, ws, *stored, sums); !a) return a;
  }
  return finish();
}

// 2. The group's live events of one workspace in one statement, each with its pair's status
// after the group; RETURNING names the new ones, which come back in arrival order.
result<std::vector<pg_store::slot*>> pg_store::insert_events(connection& c, txn_state& txn,
                                                             const std::string& ws,
                                                             std::vector<slot>& live,
                                                             summaries& sums) {
  // The statuses and first clicks these events touch, read once (duplicates included: their
  // pairs' statuses already count them, so the pair's status after this group is known before
  // the insert and each new event goes in with it — migration 5's events.status).
  if (auto l = load_state(c, txn, ws, live); !l) return l.error();
  std::unordered_map<pair_key, int, pair_hash> after;  // pair → its status after this group
  for (const auto& sl : live) {
    const sesami::event& ev = *sl.item->ev;
    auto it = txn.pairs.find(pair_key{ws, ev.message_id, sl.recipient});
    int st = it == txn.pairs.end() ? -1 : it->second.status();
    if (auto s = status_of(ev.type)) st = std::max(st, static_cast<int>(*s));
    auto [a, fresh] = after.try_emplace(pair_key{ws, ev.message_id, sl.recipient}, st);
    if (!fresh) a->second = std::max(a->second, st);
  }
  array a_id, a_ts, a_type, a_msg, a_rcpt, a_machine, a_cs, a_doc, a_status;
  for (const auto& sl : live) {
    const sesami::event& ev = *sl.item->ev;
    a_id.text(sl.hex), a_ts.integer(ev.timestamp), a_type.integer(static_cast<int>(ev.type));
    a_msg.text(ev.message_id), a_rcpt.text(sl.recipient);
    a_machine.integer(ev.machine() ? 1 : 0), a_cs.text(ev.configuration_set);
    a_doc.text(sl.item->doc);
    const int st = after[pair_key{ws, ev.message_id, sl.recipient}];
    st >= 0 ? a_status.integer(st) : a_status.null();
  }
  auto ins = c.exec(
      "INSERT INTO events (workspace, id, ts, type, message_id, recipient, machine, config_set, "
      "doc, status) SELECT $1, decode(u.id, 'hex'), u.ts, u.ty, u.m, u.r, u.ma, u.cs, u.doc, "
      "u.st FROM unnest($2::text[], $3::int8[], $4::int2[], $5::text[], $6::text[], $7::int2[], "
      "$8::text[], $9::text[], $10::int2[]) WITH ORDINALITY AS u(id, ts, ty, m, r, ma, cs, doc, "
      "st, o) ORDER BY u.o ON CONFLICT DO NOTHING RETURNING encode(id, 'hex'), seq",
      params()
          .text(ws)
          .text(a_id.str())
          .text(a_ts.str())
          .text(a_type.str())
          .text(a_msg.str())
          .text(a_rcpt.str())
          .text(a_machine.str())
          .text(a_cs.str())
          .text(a_doc.str())
          .text(a_status.str()),
      "cannot store events");
  if (!ins) return ins.error();
  std::unordered_map<std::string, std::int64_t> fresh;  // identity (hex) → seq
  for (int i = 0; i < ins->size(); ++i) fresh.emplace(ins->text(i, 0), ins->int64(i, 1));
  std::vector<slot*> stored;
  for (auto& sl : live) {
    auto it = fresh.find(sl.hex);
    if (it == fresh.end()) {  // already present, or repeated earlier in the group
      ++sums[sl.req].duplicates;
      continue;
    }
    sl.seq = it->second;
    fresh.erase(it);
    ++sums[sl.req].stored;
    stored.push_back(&sl);
  }
  return stored;
}

// 3. The stored events' effect on their pairs, first clicks and rollups (in memory, in arrival
// order); 4. their tags, suppressions and SNS ids, one statement each.
status pg_store::apply_stored(connection& c, txn_state& txn, const std::string& ws,
                              const std::vector<slot*>& stored, summaries& sums) {
  // 3. Update in memory, in arrival order, through the core's roll_up (as in SQLite).
  array t_name, t_value, t_ts, t_seq, s_id;
  std::vector<suppression_entry> suppress;
  std::vector<request*> suppress_owner;
  std::int64_t sns_now = 0;
  sesami::rollup_deltas deltas;
  for (slot* sl : stored) {
    const auto& item = *sl->item;
    const sesami::event& ev = *item.ev;
    const std::string& recipient = sl->recipient;
    for (const auto& [name, values] : ev.tags) {
      if (name.rfind("ses:", 0) == 0) continue;
      for (const auto& v : values)
        t_name.text(name), t_value.text(v), t_ts.integer(ev.timestamp), t_seq.integer(sl->seq);
    }
    // A recipient-less event (an open of a multi-recipient message) belongs to the pair
    // (message, ''), as in SQLite and the core's aggregation. The core computes the event's
    // effect on its pair and on the rollups (rollup.hpp); the transaction sums the deltas.
    {
      pair_state& p = txn.pairs[pair_key{ws, ev.message_id, recipient}];
      first_click* link = nullptr;
      if (auto* ck = ev.get<click_info>(); ck && !ck->link.empty())
        link = &txn.clicks[link_key{ws, ev.message_id, recipient, ck->link}];
      const std::optional<std::int64_t> before = link ? link->at : std::nullopt;
      deltas.clear();
      sesami::roll_up(ev, recipient, p.state, link ? &link->at : nullptr, deltas);
      if (link && link->at != before) link->dirty = true;
      if (status_of(ev.type)) p.touched = true;
      txn.add(ws, deltas);
    }
    if (!recipient.empty()) {
      if (!item.suppress.empty()) {
        // Dated by the event, not by its arrival (as in SQLite).
        suppress.push_back({recipient, item.suppress, suppression_source::event, item.id,
                            ev.timestamp > 0 ? ev.timestamp : sl->req->now});
        suppress_owner.push_back(sl->req);
      }
    }
    if (sl->req->remember_sns && !ev.source.sns_message_id.empty()) {
      s_id.text(ev.source.sns_message_id);
      sns_now = sl->req->now;
    }
  }

  // 4. Tags, suppressions and SNS ids: one statement each.
  if (!t_name.empty()) {
    auto r = c.exec(
        "INSERT INTO event_tags (workspace, name, value, ts, seq) SELECT $1, u.n, u.v, u.t, u.s "
        "FROM unnest($2::text[], $3::text[], $4::int8[], $5::int8[]) AS u(n, v, t, s) "
        "ON CONFLICT DO NOTHING",
        params().text(ws).text(t_name.str()).text(t_value.str()).text(t_ts.str()).text(t_seq.str()),
        "cannot index tags");
    if (!r) return r.error();
  }
  auto added = insert_suppressions(c, ws, suppress);
  if (!added) return added.error();
  // A new address counts for the request of its first entry (the one that was inserted).
  std::set<std::string, std::less<>> fresh_addresses(added->begin(), added->end());
  for (std::size_t i = 0; i < suppress.size(); ++i)
    if (fresh_addresses.erase(suppress[i].address)) ++sums[suppress_owner[i]].suppressed;
  if (!s_id.empty()) {
    auto r = c.exec(
        "INSERT INTO sns_messages (workspace, sns_message_id, seen_at) "
        "SELECT $1, u.id, $3 FROM unnest($2::text[]) AS u(id) ON CONFLICT DO NOTHING",
        params().text(ws).text(s_id.str()).integer(sns_now), "cannot record SNS messages");
    if (!r) return r.error();
  }
  return {};
}

// Locks the pairs the live events belong to and reads their state, then the pair_links first
// clicks they touch (protected by their pair's lock), one statement each. The lock is the pair's
// recipient_status row: an upsert, in one sorted order on every node (no deadlock), inserts a
// placeholder (status -1) for a new pair and otherwise rewrites the row unchanged, and returns it.
// Every writer of a pair's status, first opens and clicks, link first clicks and its events'
// status column holds this lock first, so the read-modify-write through the core's roll_up is
// exact with any number of writers; writers of other pairs never wait.
status pg_store::load_state(connection& c, txn_state& txn, const std::string& ws,
                            const std::vector<slot>& live) {
  std::vector<std::pair<std::string_view, std::string_view>> lock;  // (message, recipient)
  array l_msg, l_rcpt, l_link;
  for (const auto& sl0 : live) {
    const slot* sl = &sl0;
    const sesami::event& ev = *sl->item->ev;
    const std::string& r = sl->recipient;
    {  // every event's pair, status or not: its events carry the pair's status
      auto [it, fresh] = txn.pairs.try_emplace(pair_key{ws, ev.message_id, r});
      if (fresh) lock.emplace_back(it->first.message_id, it->first.recipient);
    }
    if (auto* ck = ev.get<click_info>(); ck && !ck->link.empty()) {
      auto [it, fresh] = txn.clicks.try_emplace(link_key{ws, ev.message_id, r, ck->link});
      if (fresh) l_msg.text(ev.message_id), l_rcpt.text(r), l_link.text(ck->link);
    }
  }
  if (!lock.empty()) {
    std::sort(lock.begin(), lock.end());
    array p_msg, p_rcpt;
    for (const auto& [m, r] : lock) p_msg.text(m), p_rcpt.text(r);
    auto r = c.exec(
        "INSERT INTO recipient_status AS s (workspace, message_id, recipient, status, "
        "first_seen, last_seen) SELECT $1, k.m, k.r, -1, 0, 0 FROM unnest($2::text[], "
        "$3::text[]) AS k(m, r) ON CONFLICT (workspace, message_id, recipient) DO UPDATE SET "
        "status = s.status RETURNING s.message_id, s.recipient, s.status, s.first_seen, "
        "s.last_seen, s.first_open, s.first_human_open, s.first_click, s.first_human_click",
        params().text(ws).text(p_msg.str()).text(p_rcpt.str()), "cannot lock statuses");
    if (!r) return r.error();
    for (int i = 0; i < r->size(); ++i) {
      auto& p = txn.pairs[pair_key{ws, std::string(r->text(i, 0)), std::string(r->text(i, 1))}];
      p.original = static_cast<int>(r->int64(i, 2));
      if (p.original < 0) {  // new: the placeholder goes unless an event gives the pair a status
        p.placeholder = true;
        continue;
      }
      p.state.status = static_cast<delivery_status>(p.original);
      p.state.first_seen = p.original_first_seen = r->int64(i, 3);
      p.state.last_seen = r->int64(i, 4);
      for (int k = 0; k < 4; ++k)
        if (!r->is_null(i, 5 + k)) p.state.firsts[static_cast<std::size_t>(k)] = r->int64(i, 5 + k);
    }
  }
  if (!l_msg.empty()) {
    auto r = c.exec(
        "SELECT p.message_id, p.recipient, p.link, p.first_click FROM pair_links p "
        "JOIN unnest($2::text[], $3::text[], $4::text[]) AS k(m, r, l) ON p.message_id = k.m AND "
        "p.recipient = k.r AND p.link = k.l WHERE p.workspace = $1",
        params().text(ws).text(l_msg.str()).text(l_rcpt.str()).text(l_link.str()),
        "cannot read link clicks");
    if (!r) return r.error();
    for (int i = 0; i < r->size(); ++i)
      txn.clicks[link_key{ws, std::string(r->text(i, 0)), std::string(r->text(i, 1)),
                          std::string(r->text(i, 2))}]
          .at = r->int64(i, 3);
  }
  return {};
}

// Writes back what the transaction changed: one multi-row upsert per table.
status pg_store::flush_state(connection& c, txn_state& txn) {
  if (auto r = flush_pairs(c, txn); !r) return r;
  if (auto r = flush_pair_links(c, txn); !r) return r;
  return flush_rollups(c, txn);
}

// The pairs' rows (recipient_status) the transaction changed; events follow their pair's status.
status pg_store::flush_pairs(connection& c, const txn_state& txn) {
  array ws, msg, rcpt, st, fs, ls, f[4];
  array c_ws, c_msg, c_rcpt, c_st;  // pairs whose status changed
  array d_ws, d_msg, d_rcpt;        // placeholders of pairs still without a status
  for (const auto& [key, p] : txn.pairs) {
    if (p.status() < 0 && p.placeholder)
      d_ws.text(key.workspace), d_msg.text(key.message_id), d_rcpt.text(key.recipient);
    if (p.status() < 0 || !p.touched) continue;  // read but never touched by an event
    if (p.status() != p.original)
      c_ws.text(key.workspace), c_msg.text(key.message_id), c_rcpt.text(key.recipient),
          c_st.integer(p.status());
    ws.text(key.workspace), msg.text(key.message_id), rcpt.text(key.recipient);
    st.integer(p.status()), fs.integer(p.state.first_seen), ls.integer(p.state.last_seen);
    for (std::size_t i = 0; i < 4; ++i) f[i].optional(p.state.firsts[i]);
  }
  if (!ws.empty()) {
    auto r = c.exec(
        "INSERT INTO recipient_status (workspace, message_id, recipient, status, first_seen, "
        "last_seen, first_open, first_human_open, first_click, first_human_click) "
        "SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int2[], $5::int8[], "
        "$6::int8[], $7::int8[], $8::int8[], $9::int8[], $10::int8[]) "
        "ON CONFLICT (workspace, message_id, recipient) DO UPDATE SET status = "
        "excluded.status, "
        "first_seen = excluded.first_seen, last_seen = excluded.last_seen, "
        "first_open = excluded.first_open, first_human_open = excluded.first_human_open, "
        "first_click = excluded.first_click, first_human_click = excluded.first_human_click",
        params()
            .text(ws.str())
            .text(msg.str())
            .text(rcpt.str())
            .text(st.str())
            .text(fs.str())
            .text(ls.str())
            .text(f[0].str())
            .text(f[1].str())
            .text(f[2].str())
            .text(f[3].str()),
        "cannot update statuses");
    if (!r) return r.error();
  }
  if (!d_ws.empty()) {
    auto r = c.exec(
        "DELETE FROM recipient_status s USING unnest($1::text[], $2::text[], $3::text[]) AS "
        "k(w, m, r) WHERE s.workspace = k.w AND s.message_id = k.m AND s.recipient = k.r AND "
        "s.status = -1",
        params().text(d_ws.str()).text(d_msg.str()).text(d_rcpt.str()), "cannot unlock statuses");
    if (!r) return r.error();
  }
  if (!c_ws.empty()) {
    // The pair's earlier events follow its new status (the new ones went in with it). A
    // status only rises, so a pair is rewritten at most a few times in its life.
    auto r = c.exec(
        "UPDATE events e SET status = k.s FROM unnest($1::text[], $2::text[], $3::text[], "
        "$4::int2[]) AS k(w, m, r, s) WHERE e.workspace = k.w AND e.message_id = k.m AND "
        "e.recipient = k.r AND e.status IS DISTINCT FROM k.s",
        params().text(c_ws.str()).text(c_msg.str()).text(c_rcpt.str()).text(c_st.str()),
        "cannot update event statuses");
    if (!r) return r.error();
  }
  return {};
}

// The first clicks per (message, recipient, link) the transaction changed.
status pg_store::flush_pair_links(connection& c, const txn_state& txn) {
  array ws, msg, rcpt, link, at;
  for (const auto& [key, fc] : txn.clicks) {
    if (!fc.dirty) continue;
    ws.text(std::get<0>(key)), msg.text(std::get<1>(key)), rcpt.text(std::get<2>(key));
    link.text(std::get<3>(key)), at.integer(*fc.at);
  }
  if (!ws.empty()) {
    auto r = c.exec(
        "INSERT INTO pair_links (workspace, message_id, recipient, link, first_click) "
        "SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int8[]) "
        "ON CONFLICT (workspace, message_id, recipient, link) "
        "DO UPDATE SET first_click = excluded.first_click",
        params().text(ws.str()).text(msg.str()).text(rcpt.str()).text(link.str()).text(at.str()),
        "cannot record link clicks");
    if (!r) return r.error();
  }
  return {};
}

}  // namespace sesami::store::pg
