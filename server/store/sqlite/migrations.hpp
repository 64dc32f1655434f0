#pragma once
// The SQLite schema, as an ordered list of migrations. `PRAGMA user_version` records the last one
// applied; at start-up every newer migration runs, each in its own transaction, and a database
// whose version is above the last entry here is refused (written by a newer sesami).
//
// TO EXTEND THE SCHEMA: append an entry at the end with the next version number. Never edit or
// reorder an entry that has shipped — databases in the field have already run it. (The server's
// users / API keys / sessions / ingest tokens tables go here as further entries.)
//
// Index choices are explained in docs/storage.md; every query in sqlite_store.cpp names the index
// it expects.
#include <span>
#include <string_view>

namespace sesami::store::sqlite {

struct migration {
  int version;
  std::string_view description;
  std::string_view sql;
};

inline constexpr migration migrations[] = {
    {1, "workspaces, events, per-recipient status, hourly rollups", R"sql(
CREATE TABLE workspaces (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  created_at INTEGER NOT NULL,          -- ms since epoch
  retention_days INTEGER NOT NULL DEFAULT 0  -- 0: keep raw events forever
);

-- One row per normalized event. seq (the rowid) breaks timestamp ties in the listing cursor.
CREATE TABLE events (
  seq INTEGER PRIMARY KEY,
  workspace TEXT NOT NULL,
  id BLOB NOT NULL,                     -- the core's event identity, 16 bytes (32 hex chars)
  ts INTEGER NOT NULL,                  -- event time, ms since epoch
  type INTEGER NOT NULL,                -- sesami::event_type
  message_id TEXT NOT NULL,
  recipient TEXT NOT NULL DEFAULT '',   -- lower-cased; '' when the event names no single recipient
  machine INTEGER NOT NULL DEFAULT 0,   -- machine open / scanner click
  config_set TEXT NOT NULL DEFAULT '',  -- tags are read from doc (JSON1) when filtered on
  doc TEXT NOT NULL                     -- sesami::to_json(event), served as is
);
CREATE UNIQUE INDEX events_identity ON events (workspace, id);    -- exactly once
CREATE INDEX events_time ON events (workspace, ts);               -- listing, newest first
CREATE INDEX events_type_time ON events (workspace, type, ts);    -- listing by type
CREATE INDEX events_recipient ON events (workspace, recipient, ts);  -- a recipient's history
CREATE INDEX events_message ON events (workspace, message_id, ts);   -- a message's events

-- Current status of each (message, recipient): max of its events' statuses (delivery_status
-- precedence), so arrival order does not matter. first_* remember the earliest open / click to
-- keep unique counts in the right hour whatever the arrival order.
CREATE TABLE recipient_status (
  workspace TEXT NOT NULL,
  message_id TEXT NOT NULL,
  recipient TEXT NOT NULL,
  status INTEGER NOT NULL,
  first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  first_open INTEGER,
  first_human_open INTEGER,
  first_click INTEGER,
  first_human_click INTEGER,
  PRIMARY KEY (workspace, message_id, recipient)
) WITHOUT ROWID;
CREATE INDEX recipient_status_recipient ON recipient_status (workspace, recipient);

-- Counters per workspace, hour and event type, for newly stored events only.
CREATE TABLE rollups (
  workspace TEXT NOT NULL,
  hour INTEGER NOT NULL,                -- ms since epoch / 3 600 000
  type INTEGER NOT NULL,
  count INTEGER NOT NULL DEFAULT 0,
  machine INTEGER NOT NULL DEFAULT 0,
  uniq INTEGER NOT NULL DEFAULT 0,
  uniq_human INTEGER NOT NULL DEFAULT 0,
  hard INTEGER NOT NULL DEFAULT 0,      -- bounces by bounce_class
  soft INTEGER NOT NULL DEFAULT 0,
  suppressed INTEGER NOT NULL DEFAULT 0,
  undetermined INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (workspace, hour, type)
) WITHOUT ROWID;
)sql"},
    {2, "suppression list and SNS MessageId dedupe", R"sql(
CREATE TABLE suppressions (
  workspace TEXT NOT NULL,
  address TEXT NOT NULL,                -- lower-cased
  reason TEXT NOT NULL,
  source TEXT NOT NULL,                 -- event, manual, import, ses-sync
  event_id TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  PRIMARY KEY (workspace, address)
) WITHOUT ROWID;

CREATE TABLE sns_messages (
  workspace TEXT NOT NULL,
  sns_message_id TEXT NOT NULL,
  seen_at INTEGER NOT NULL,
  PRIMARY KEY (workspace, sns_message_id)
) WITHOUT ROWID;
CREATE INDEX sns_messages_seen ON sns_messages (workspace, seen_at);
)sql"},
    {3, "per-status recipient counts maintained on write", R"sql(
CREATE TABLE status_counts (
  workspace TEXT NOT NULL,
  status INTEGER NOT NULL,
  n INTEGER NOT NULL,
  PRIMARY KEY (workspace, status)
) WITHOUT ROWID;
INSERT INTO status_counts (workspace, status, n)
  SELECT workspace, status, count(*) FROM recipient_status GROUP BY workspace, status;
)sql"},
    {4, "accounts: users, memberships, API keys, sessions, ingest tokens, connected AWS accounts",
     R"sql(
-- Secrets are never stored: API keys, session ids and ingest tokens are kept as SHA-256 hashes of
-- high-entropy random strings (a fast hash is enough at 256 bits of entropy), passwords as argon2id
-- strings (libsodium crypto_pwhash_str). See server/store/accounts.hpp.
CREATE TABLE users (
  id TEXT PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,           -- lower-cased login name
  password_hash TEXT NOT NULL,          -- argon2id, self-describing ($argon2id$v=19$...)
  created_at INTEGER NOT NULL
);
CREATE TABLE memberships (
  workspace TEXT NOT NULL,
  user_id TEXT NOT NULL,
  role TEXT NOT NULL,                   -- owner, admin, viewer
  PRIMARY KEY (workspace, user_id)
) WITHOUT ROWID;
CREATE INDEX memberships_user ON memberships (user_id);
CREATE TABLE api_keys (
  hash BLOB PRIMARY KEY,                -- SHA-256 of the key
  id TEXT NOT NULL UNIQUE,              -- public handle, shown in lists
  workspace TEXT NOT NULL,
  role TEXT NOT NULL,
  name TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX api_keys_workspace ON api_keys (workspace);
CREATE TABLE sessions (
  hash BLOB PRIMARY KEY,                -- SHA-256 of the cookie value
  user_id TEXT NOT NULL,
  csrf TEXT NOT NULL,                   -- the token unsafe requests must echo (not a credential alone)
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
-- One row per workspace: the token in the ingestion URLs and the EventBridge API-key secret.
CREATE TABLE ingest_tokens (
  workspace TEXT PRIMARY KEY,
  token_hash BLOB NOT NULL UNIQUE,
  secret_hash BLOB NOT NULL,
  rotated_at INTEGER NOT NULL
);
CREATE TABLE aws_accounts (
  workspace TEXT NOT NULL,
  account_id TEXT NOT NULL,             -- 12 digits: EventBridge events from it are accepted
  PRIMARY KEY (workspace, account_id)
) WITHOUT ROWID;
)sql"},
    {5, "index of user tags (not ses:*) for tag filters", R"sql(
-- One row per (event, user tag value): a tag filter becomes an index range in time order instead
-- of a scan of every event's JSON. SES's automatic ses:* tags are left out (every event has five).
CREATE TABLE event_tags (
  workspace TEXT NOT NULL,
  name TEXT NOT NULL,
  value TEXT NOT NULL,
  ts INTEGER NOT NULL,
  seq INTEGER NOT NULL,                 -- events.seq
  PRIMARY KEY (workspace, name, value, ts, seq)
) WITHOUT ROWID;
CREATE INDEX event_tags_seq ON event_tags (seq);
INSERT INTO event_tags (workspace, name, value, ts, seq)
  SELECT e.workspace, t.key, v.value, e.ts, e.seq
  FROM events e, json_each(e.doc, '$.tags') t, json_each(t.value) v
  WHERE substr(t.key, 1, 4) != 'ses:';
)sql"},
    {6, "rollups for rates without the mailbox simulator, top links, top bouncing domains",
     R"sql(
-- The simulator's share of each rollup row, subtracted from the rates (USERS #9): events, first
-- human opens/clicks of simulator pairs, hard bounces. Recipients are stored lower-cased.
ALTER TABLE rollups ADD COLUMN sim_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rollups ADD COLUMN sim_uniq_human INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rollups ADD COLUMN sim_hard INTEGER NOT NULL DEFAULT 0;
UPDATE rollups SET
  sim_count = (SELECT count(*) FROM events e INDEXED BY events_type_time
    WHERE e.workspace = rollups.workspace AND e.type = rollups.type
      AND e.ts >= rollups.hour * 3600000 AND e.ts < (rollups.hour + 1) * 3600000
      AND e.recipient LIKE '%@simulator.amazonses.com'),
  sim_hard = (SELECT count(*) FROM events e INDEXED BY events_type_time
    WHERE e.workspace = rollups.workspace AND e.type = rollups.type AND rollups.type = 2
      AND e.ts >= rollups.hour * 3600000 AND e.ts < (rollups.hour + 1) * 3600000
      AND e.recipient LIKE '%@simulator.amazonses.com'
      AND json_extract(e.doc, '$.bounce.class') = 'hard'),
  sim_uniq_human = (SELECT count(*) FROM recipient_status r
    WHERE r.workspace = rollups.workspace AND r.recipient LIKE '%@simulator.amazonses.com'
      AND CASE rollups.type WHEN 4 THEN r.first_human_open WHEN 5 THEN r.first_human_click END
          BETWEEN rollups.hour * 3600000 AND (rollups.hour + 1) * 3600000 - 1);

-- Clicks per hour and link; uniq: (message, recipient, link) combinations whose first click is in
-- that hour (pair_links remembers the first click, so a late earlier click moves it).
CREATE TABLE pair_links (
  workspace TEXT NOT NULL,
  message_id TEXT NOT NULL,
  recipient TEXT NOT NULL,
  link TEXT NOT NULL,
  first_click INTEGER NOT NULL,
  PRIMARY KEY (workspace, message_id, recipient, link)
) WITHOUT ROWID;
CREATE TABLE link_rollups (
  workspace TEXT NOT NULL,
  hour INTEGER NOT NULL,
  link TEXT NOT NULL,
  clicks INTEGER NOT NULL DEFAULT 0,
  human INTEGER NOT NULL DEFAULT 0,
  uniq INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (workspace, hour, link)
) WITHOUT ROWID;
-- Bounces per hour and recipient domain (the part after the last '@').
CREATE TABLE domain_rollups (
  workspace TEXT NOT NULL,
  hour INTEGER NOT NULL,
  domain TEXT NOT NULL,
  bounces INTEGER NOT NULL DEFAULT 0,
  hard INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (workspace, hour, domain)
) WITHOUT ROWID;

INSERT INTO pair_links (workspace, message_id, recipient, link, first_click)
  SELECT workspace, message_id, recipient, link, min(ts) FROM (
    SELECT workspace, message_id, recipient, ts,
           coalesce(json_extract(doc, '$.click.link'), '') AS link
    FROM events WHERE type = 5)
  WHERE link != '' GROUP BY workspace, message_id, recipient, link;
INSERT INTO link_rollups (workspace, hour, link, clicks, human, uniq)
  SELECT workspace, ts / 3600000, link, count(*), sum(machine = 0), 0 FROM (
    SELECT workspace, ts, machine, coalesce(json_extract(doc, '$.click.link'), '') AS link
    FROM events WHERE type = 5)
  WHERE link != '' GROUP BY workspace, ts / 3600000, link;
INSERT INTO link_rollups (workspace, hour, link, uniq)
  SELECT workspace, first_click / 3600000, link, count(*) FROM pair_links
  WHERE true GROUP BY workspace, first_click / 3600000, link
  ON CONFLICT (workspace, hour, link) DO UPDATE SET uniq = excluded.uniq;
INSERT INTO domain_rollups (workspace, hour, domain, bounces, hard)
  SELECT workspace, ts / 3600000, domain, count(*), sum(hard) FROM (
    SELECT workspace, ts,
           substr(recipient, length(rtrim(recipient, replace(recipient, '@', ''))) + 1) AS domain,
           coalesce(json_extract(doc, '$.bounce.class'), '') = 'hard' AS hard
    FROM events WHERE type = 2 AND instr(recipient, '@') > 0)
  WHERE domain != '' GROUP BY workspace, ts / 3600000, domain;

-- Current statuses of the (message, recipient) pairs by the hour of their first event, so that a
-- range's statuses are those of the pairs that started in it (docs/storage.md).
CREATE TABLE status_rollups (
  workspace TEXT NOT NULL,
  hour INTEGER NOT NULL,                -- of recipient_status.first_seen
  status INTEGER NOT NULL,
  n INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (workspace, hour, status)
) WITHOUT ROWID;
INSERT INTO status_rollups (workspace, hour, status, n)
  SELECT workspace, first_seen / 3600000, status, count(*) FROM recipient_status
  GROUP BY workspace, first_seen / 3600000, status;
)sql"},
};

inline constexpr int latest_version = migrations[std::size(migrations) - 1].version;

}  // namespace sesami::store::sqlite
