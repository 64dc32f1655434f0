#pragma once
// The SQLite schema, as an ordered list of migrations. `PRAGMA user_version` records the last one
// applied; at start-up every newer migration runs, each in its own transaction, and a database
// whose version is above the last entry here is refused (written by a newer sesami).
//
// TO EXTEND THE SCHEMA: append an entry at the end with the next version number. Never edit or
// reorder an entry that has shipped — databases in the field have already run it. (The server's
// users / API keys / sessions / ingest tokens tables go here as further entries.)
//
// Index choices are explained in docs/storage.md; every query in this directory names the index
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
    {7, "per-workspace AWS connection: role, region, External ID, configuration set, queue", R"sql(
-- One row per workspace that has looked at its AWS settings. The External ID is generated by
-- SESami the first time (>= 128 random bits) and kept for the workspace's life, also across a
-- disconnect, so a trust policy written with it stays valid. role_arn NULL: not connected.
CREATE TABLE aws_connections (
  workspace TEXT PRIMARY KEY,
  external_id TEXT NOT NULL,
  role_arn TEXT,
  region TEXT,
  configuration_set TEXT,
  queue_url TEXT,
  mode TEXT,                            -- sqs, api-destination, event-bus
  updated_at INTEGER NOT NULL           -- ms since epoch
) WITHOUT ROWID;
)sql"},
    {8, "sending: unsubscribe secret, idempotency keys, send attempts, bulk queue", R"sql(
-- The HMAC key of unsubscribe links, generated at first start (one row).
CREATE TABLE mail_secret (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  secret TEXT NOT NULL
);
-- Idempotency-Key: the request's hash and, once done, the answer a retry gets back.
CREATE TABLE mail_idempotency (
  workspace TEXT NOT NULL,
  key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  done INTEGER NOT NULL DEFAULT 0,
  code TEXT NOT NULL DEFAULT '',
  response TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  PRIMARY KEY (workspace, key)
) WITHOUT ROWID;
-- One row per send attempt; seq orders the listing (keyset, newest first).
CREATE TABLE mail_attempts (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  workspace TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  transport TEXT NOT NULL,
  status TEXT NOT NULL,                 -- queued, sent, failed, suppressed
  message_id TEXT NOT NULL DEFAULT '',
  error_code TEXT NOT NULL DEFAULT '',
  error_message TEXT NOT NULL DEFAULT '',
  recipients TEXT NOT NULL DEFAULT '',  -- addresses, one per line
  suppressed TEXT NOT NULL DEFAULT '',  -- address TAB reason, one per line
  correlation_id TEXT NOT NULL DEFAULT '',
  subject TEXT NOT NULL DEFAULT '',
  bulk_id TEXT NOT NULL DEFAULT ''
);
CREATE INDEX mail_attempts_list ON mail_attempts (workspace, seq);
CREATE INDEX mail_attempts_correlation ON mail_attempts (workspace, correlation_id, seq);
-- The bulk queue: a job, its batches of <= 50 destinations, a lease held by the worker running it.
CREATE TABLE mail_bulk_jobs (
  id TEXT PRIMARY KEY,
  workspace TEXT NOT NULL,
  status TEXT NOT NULL,                 -- queued, running, done, failed
  request TEXT NOT NULL,
  total INTEGER NOT NULL,
  sent INTEGER NOT NULL DEFAULT 0,
  failed INTEGER NOT NULL DEFAULT 0,
  suppressed INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  lease_owner TEXT NOT NULL DEFAULT '',
  lease_until INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX mail_bulk_jobs_claim ON mail_bulk_jobs (status, created_at);
CREATE TABLE mail_bulk_batches (
  job_id TEXT NOT NULL,
  idx INTEGER NOT NULL,
  destinations TEXT NOT NULL,
  state INTEGER NOT NULL DEFAULT 0,     -- 0 pending, 1 in flight, 2 done
  updated_at INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (job_id, idx)
) WITHOUT ROWID;
)sql"},
    {9, "daily levels of the link, domain and status rollups; lighter tag index", R"sql(
-- Stats for long ranges read whole days from these and only the range's partial edge days from
-- the hourly tables (docs/storage.md): the top lists' cost grows with days × distinct names
-- instead of hours × distinct names. Maintained on write together with the hourly rows.
CREATE TABLE link_rollups_daily (
  workspace TEXT NOT NULL,
  day INTEGER NOT NULL,                 -- floor(hour / 24)
  link TEXT NOT NULL,
  clicks INTEGER NOT NULL DEFAULT 0,
  human INTEGER NOT NULL DEFAULT 0,
  uniq INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (workspace, day, link)
) WITHOUT ROWID;
CREATE TABLE domain_rollups_daily (
  workspace TEXT NOT NULL,
  day INTEGER NOT NULL,
  domain TEXT NOT NULL,
  bounces INTEGER NOT NULL DEFAULT 0,
  hard INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (workspace, day, domain)
) WITHOUT ROWID;
CREATE TABLE status_rollups_daily (
  workspace TEXT NOT NULL,
  day INTEGER NOT NULL,
  status INTEGER NOT NULL,
  n INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (workspace, day, status)
) WITHOUT ROWID;
INSERT INTO link_rollups_daily (workspace, day, link, clicks, human, uniq)
  SELECT workspace, CASE WHEN hour >= 0 THEN hour / 24 ELSE (hour - 23) / 24 END AS d, link,
         sum(clicks), sum(human), sum(uniq)
  FROM link_rollups GROUP BY workspace, d, link;
INSERT INTO domain_rollups_daily (workspace, day, domain, bounces, hard)
  SELECT workspace, CASE WHEN hour >= 0 THEN hour / 24 ELSE (hour - 23) / 24 END AS d, domain,
         sum(bounces), sum(hard)
  FROM domain_rollups GROUP BY workspace, d, domain;
INSERT INTO status_rollups_daily (workspace, day, status, n)
  SELECT workspace, CASE WHEN hour >= 0 THEN hour / 24 ELSE (hour - 23) / 24 END AS d, status,
         sum(n)
  FROM status_rollups GROUP BY workspace, d, status;
-- Only retention used this index (to find an event's tag rows); it now deletes tag rows by their
-- own (name, value, ts) key, and every import saves one B-tree insert per tag value.
DROP INDEX event_tags_seq;
)sql"},
    {10, "suppression sync with SES: the last synced set, runs and their changes", R"sql(
-- Addresses present on both sides (SESami and the SES account-level list) after the last sync of
-- a workspace: the baseline that tells a removal on one side from an addition on the other.
CREATE TABLE suppression_sync_baseline (
  workspace TEXT NOT NULL,
  address TEXT NOT NULL,
  PRIMARY KEY (workspace, address)
) WITHOUT ROWID;
-- One row per sync run; errors one per line: address TAB operation TAB code TAB message.
CREATE TABLE suppression_sync_runs (
  seq INTEGER PRIMARY KEY,
  workspace TEXT NOT NULL,
  at INTEGER NOT NULL,                  -- ms since epoch
  cause TEXT NOT NULL,                  -- manual, schedule
  pulled INTEGER NOT NULL,
  pushed INTEGER NOT NULL,
  removed_local INTEGER NOT NULL,
  removed_remote INTEGER NOT NULL,
  errors TEXT NOT NULL DEFAULT ''
);
CREATE INDEX suppression_sync_runs_last ON suppression_sync_runs (workspace, seq);
-- What each run changed, address by address: pulled, pushed, removed-local, removed-remote.
CREATE TABLE suppression_sync_changes (
  run INTEGER NOT NULL,
  address TEXT NOT NULL,
  change TEXT NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (run, address)
) WITHOUT ROWID;
)sql"},
    {11, "status-filtered listings: events under their pair's current status", R"sql(
-- One row per event whose (message, recipient) pair has a status row, filed under the pair's
-- CURRENT status (the status filter's meaning, see list_events): a `status=S` listing is one range
-- of this key in time order instead of a walk of every event with a status lookup each. A status
-- change moves the pair's rows in the transaction that raised it; `events` is never rewritten.
CREATE TABLE status_events (
  workspace TEXT NOT NULL,
  status INTEGER NOT NULL,
  ts INTEGER NOT NULL,
  seq INTEGER NOT NULL,                 -- events.seq
  PRIMARY KEY (workspace, status, ts, seq)
) WITHOUT ROWID;
-- Events of a pair that has no status yet (only subscription / unknown events so far): adopted
-- into status_events when the pair's first status arrives. Normally empty.
CREATE TABLE status_orphans (
  workspace TEXT NOT NULL,
  message_id TEXT NOT NULL,
  recipient TEXT NOT NULL,
  ts INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  PRIMARY KEY (workspace, message_id, recipient, seq)
) WITHOUT ROWID;
-- The pair's stored events as "ts.seq,ts.seq,...": what a status change moves, without a lookup.
ALTER TABLE recipient_status ADD COLUMN events TEXT NOT NULL DEFAULT '';
INSERT INTO status_events (workspace, status, ts, seq)
  SELECT e.workspace, r.status, e.ts, e.seq FROM events e JOIN recipient_status r
    ON r.workspace = e.workspace AND r.message_id = e.message_id AND r.recipient = e.recipient;
INSERT INTO status_orphans (workspace, message_id, recipient, ts, seq)
  SELECT e.workspace, e.message_id, e.recipient, e.ts, e.seq FROM events e
  WHERE NOT EXISTS (SELECT 1 FROM recipient_status r WHERE r.workspace = e.workspace
                      AND r.message_id = e.message_id AND r.recipient = e.recipient);
UPDATE recipient_status SET events = coalesce((
  SELECT group_concat(e.ts || '.' || e.seq, ',') FROM events e INDEXED BY events_message
  WHERE e.workspace = recipient_status.workspace AND e.message_id = recipient_status.message_id
    AND e.recipient = recipient_status.recipient), '');
)sql"},
    {12, "daily level of the per-type counters", R"sql(
-- The per-type counters summed by UTC day (as PostgreSQL's migration 6): /stats with day, week or
-- month buckets reads whole days from here and only the range's edge days hour by hour
-- (store::rollups_by_day), ~types x days rows instead of ~types x hours. Kept on write in the
-- same transaction as the hourly rows; rollups are never deleted, so the two always agree.
CREATE TABLE rollups_daily (
  workspace TEXT NOT NULL,
  day INTEGER NOT NULL,                 -- floor(hour / 24)
  type INTEGER NOT NULL,
  count INTEGER NOT NULL DEFAULT 0,
  machine INTEGER NOT NULL DEFAULT 0,
  uniq INTEGER NOT NULL DEFAULT 0,
  uniq_human INTEGER NOT NULL DEFAULT 0,
  hard INTEGER NOT NULL DEFAULT 0,
  soft INTEGER NOT NULL DEFAULT 0,
  suppressed INTEGER NOT NULL DEFAULT 0,
  undetermined INTEGER NOT NULL DEFAULT 0,
  sim_count INTEGER NOT NULL DEFAULT 0,
  sim_uniq_human INTEGER NOT NULL DEFAULT 0,
  sim_hard INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (workspace, day, type)
) WITHOUT ROWID;
INSERT INTO rollups_daily (workspace, day, type, count, machine, uniq, uniq_human, hard, soft,
                           suppressed, undetermined, sim_count, sim_uniq_human, sim_hard)
  SELECT workspace, CASE WHEN hour >= 0 THEN hour / 24 ELSE (hour - 23) / 24 END AS d, type,
         sum(count), sum(machine), sum(uniq), sum(uniq_human), sum(hard), sum(soft),
         sum(suppressed), sum(undetermined), sum(sim_count), sum(sim_uniq_human), sum(sim_hard)
  FROM rollups GROUP BY workspace, d, type;
)sql"},
    {13, "invitations; memberships remember when they were joined", R"sql(
-- Joining another workspace is an invitation the invited account accepts (docs/security.md,
-- section 3). The token is one-time and kept as its SHA-256 like every other secret here.
CREATE TABLE invitations (
  id TEXT PRIMARY KEY,                  -- public handle ("inv_..."), shown in GET /users
  token_hash BLOB NOT NULL UNIQUE,      -- SHA-256 of the one-time token
  workspace TEXT NOT NULL,
  email TEXT NOT NULL,                  -- lower-cased; need not have an account yet
  role TEXT NOT NULL,
  invited_by TEXT NOT NULL,             -- user or API key id
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  UNIQUE (workspace, email)
);
CREATE INDEX invitations_email ON invitations (email);
-- A user's default workspace is the one joined first, never one another workspace added later
-- (0: joined before this migration; those keep their order by workspace id).
ALTER TABLE memberships ADD COLUMN joined_at INTEGER NOT NULL DEFAULT 0;
)sql"},
    {14, "users: a one-time password must be changed before anything else", R"sql(
-- Set when the password was made by the server (first start, `sesami user add` without
-- --password, `sesami user reset-password`); cleared when the user sets one. While set, a session
-- of the user may only set the password, read the session and sign out (app/auth.cpp).
ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;
)sql"},
    {15, "API keys: scopes, expiry, last use, revocation, a SigV4 credential pair", R"sql(
-- Issue #17 (programs) and #22 (the SES API). A key's scope narrows what its role allows: send
-- (the send routes), read (GET routes), admin (everything its role allows); keys made before
-- this migration keep doing what they did: admin. A revoked key stays listed (revoked_at > 0) and
-- is refused. The SigV4 pair: access_key_id is public (unique), the secret access key is sealed
-- with the server key (app/secret_box.hpp) because verifying a signature needs the secret itself;
-- keys made before this migration have none until rotated (their secrets were never kept).
ALTER TABLE api_keys ADD COLUMN scope TEXT NOT NULL DEFAULT 'admin';
ALTER TABLE api_keys ADD COLUMN access_key_id TEXT;
ALTER TABLE api_keys ADD COLUMN secret_sealed TEXT NOT NULL DEFAULT '';
ALTER TABLE api_keys ADD COLUMN expires_at INTEGER NOT NULL DEFAULT 0;   -- 0: never
ALTER TABLE api_keys ADD COLUMN last_used_at INTEGER NOT NULL DEFAULT 0; -- 0: never used
ALTER TABLE api_keys ADD COLUMN revoked_at INTEGER NOT NULL DEFAULT 0;   -- 0: active
CREATE UNIQUE INDEX api_keys_access_key ON api_keys (access_key_id);
)sql"},
    {16, "ingestion tokens: sealed copies admins can read again, the previous token's grace", R"sql(
-- The token and secret sealed with the server key (app::secret_box, "sealed1:..."), so admins see
-- the ingestion URLs again without rotating; '' for rows written before (rotate once to see them).
-- The hashes stay the lookup keys. A rotation keeps the token it replaced (previous_*) working
-- until rotated_at + the server's grace (serve --ingest-token-grace-hours, default 24).
ALTER TABLE ingest_tokens ADD COLUMN token_sealed TEXT NOT NULL DEFAULT '';
ALTER TABLE ingest_tokens ADD COLUMN secret_sealed TEXT NOT NULL DEFAULT '';
ALTER TABLE ingest_tokens ADD COLUMN previous_token_hash BLOB;
ALTER TABLE ingest_tokens ADD COLUMN previous_secret_hash BLOB;
CREATE INDEX ingest_tokens_previous ON ingest_tokens (previous_token_hash);
)sql"},
    {17, "outbound webhooks: endpoints, the delivery outbox and its attempt log", R"sql(
-- A workspace's endpoints. event_types: ",bounce,complaint," or '' for every type. The secrets
-- are sealed by the app (secret_box, the --secret-key-file key); previous_secret stays valid until
-- previous_expires_at after a rotation. failing_since: the first failed attempt since the last
-- success (0: healthy); an endpoint failing for days is disabled with disabled_reason.
CREATE TABLE webhook_endpoints (
  id TEXT PRIMARY KEY,
  workspace TEXT NOT NULL,
  url TEXT NOT NULL,
  event_types TEXT NOT NULL DEFAULT '',
  description TEXT NOT NULL DEFAULT '',
  enabled INTEGER NOT NULL DEFAULT 1,
  disabled_reason TEXT NOT NULL DEFAULT '',
  secret TEXT NOT NULL,
  previous_secret TEXT NOT NULL DEFAULT '',
  previous_expires_at INTEGER NOT NULL DEFAULT 0,
  failing_since INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX webhook_endpoints_workspace ON webhook_endpoints (workspace, enabled);
-- The outbox: one row per (stored event, matching endpoint), written in the event's transaction;
-- or a message with its own payload (tests, alerts). state: 0 pending, 1 delivered, 2 failed.
-- A worker holds a row while lease_until is in the future (lease_owner names it).
CREATE TABLE webhook_deliveries (
  id INTEGER PRIMARY KEY,
  workspace TEXT NOT NULL,
  endpoint_id TEXT NOT NULL,
  event_id BLOB,
  webhook_id TEXT NOT NULL,
  type TEXT NOT NULL,
  payload TEXT,
  state INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  lease_owner TEXT NOT NULL DEFAULT '',
  lease_until INTEGER NOT NULL DEFAULT 0,
  last_status INTEGER NOT NULL DEFAULT 0,
  last_latency_ms INTEGER NOT NULL DEFAULT 0,
  last_response TEXT NOT NULL DEFAULT '',
  last_error TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 0;
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id);
-- Every attempt of a delivery, for GET /webhooks/{id}/deliveries.
CREATE TABLE webhook_attempts (
  delivery_id INTEGER NOT NULL,
  n INTEGER NOT NULL,
  at INTEGER NOT NULL,
  status INTEGER NOT NULL,
  latency_ms INTEGER NOT NULL,
  response TEXT NOT NULL DEFAULT '',
  error TEXT NOT NULL DEFAULT '',
  next_attempt_at INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (delivery_id, n)
) WITHOUT ROWID;
)sql"},
    {18, "reputation guard (settings, state, soft bounces) and alerts", R"sql(
-- Per workspace: the guard's levels (ppm) and switches; absent row: SES's levels.
CREATE TABLE reputation_settings (
  workspace TEXT PRIMARY KEY,
  bounce_warning_ppm INTEGER NOT NULL,
  bounce_pause_ppm INTEGER NOT NULL,
  complaint_warning_ppm INTEGER NOT NULL,
  complaint_pause_ppm INTEGER NOT NULL,
  min_sends INTEGER NOT NULL,
  pause_single INTEGER NOT NULL DEFAULT 0,
  soft_bounce_limit INTEGER NOT NULL,
  soft_bounce_days INTEGER NOT NULL,
  alert_from TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
-- The guard's state: paused or not, and the evidence (rates per window, JSON) an admin resumed
-- on. version: compare and swap between nodes.
CREATE TABLE reputation_state (
  workspace TEXT PRIMARY KEY,
  paused INTEGER NOT NULL DEFAULT 0,
  paused_at INTEGER NOT NULL DEFAULT 0,
  reason TEXT NOT NULL DEFAULT '',
  crossed_window TEXT NOT NULL DEFAULT '',
  warning_since INTEGER NOT NULL DEFAULT 0,
  resumed_at INTEGER NOT NULL DEFAULT 0,
  resumed_by TEXT NOT NULL DEFAULT '',
  evidence TEXT NOT NULL DEFAULT '',
  version INTEGER NOT NULL
) WITHOUT ROWID;
-- One row per (address, message) soft bounce: N different messages within D days suppress.
CREATE TABLE soft_bounces (
  workspace TEXT NOT NULL,
  address TEXT NOT NULL,
  message_id TEXT NOT NULL,
  at INTEGER NOT NULL,
  PRIMARY KEY (workspace, address, message_id)
) WITHOUT ROWID;
-- Alerts: one open alert (resolved_at = 0) per dedupe key. mailed_at: 0 to mail, -1 being
-- mailed, else when.
CREATE TABLE alerts (
  id TEXT PRIMARY KEY,
  workspace TEXT NOT NULL,
  kind TEXT NOT NULL,
  summary TEXT NOT NULL,
  detail TEXT NOT NULL DEFAULT '',
  action TEXT NOT NULL DEFAULT '',
  dedupe_key TEXT NOT NULL,
  since INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  read_at INTEGER NOT NULL DEFAULT 0,
  resolved_at INTEGER NOT NULL DEFAULT 0,
  mailed_at INTEGER NOT NULL DEFAULT 0,
  mail_result TEXT NOT NULL DEFAULT '',
  mails INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX alerts_open ON alerts (workspace, dedupe_key) WHERE resolved_at = 0;
CREATE INDEX alerts_workspace ON alerts (workspace, created_at);
CREATE INDEX alerts_to_mail ON alerts (mailed_at) WHERE mailed_at = 0;
)sql"},
    {19, "pipeline health: event sources, their hourly counts and last errors", R"sql(
-- One row per (workspace, source): an SNS topic, an EventBridge account, an SQS queue, the event
-- bus, file imports, the simulator. id is derived from kind and name by the app. Times in ms;
-- 0: never. silence_window_ms 0: the default the app derives from the source's usual rate.
CREATE TABLE ingest_sources (
  workspace TEXT NOT NULL,
  id TEXT NOT NULL,
  kind TEXT NOT NULL,
  name TEXT NOT NULL DEFAULT '',
  first_event_at INTEGER NOT NULL DEFAULT 0,
  last_event_at INTEGER NOT NULL DEFAULT 0,
  last_error_at INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '',
  silence_window_ms INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (workspace, id)
) WITHOUT ROWID;
-- Events received per source and hour (hours since the epoch); a few days are kept.
CREATE TABLE ingest_source_hours (
  workspace TEXT NOT NULL,
  id TEXT NOT NULL,
  hour INTEGER NOT NULL,
  events INTEGER NOT NULL,
  PRIMARY KEY (workspace, id, hour)
) WITHOUT ROWID;
-- Sends whose events never came: attempts by time (silence detection reads a recent window).
CREATE INDEX mail_attempts_created ON mail_attempts (workspace, created_at);
)sql"},
    {20, "topics and contacts: per-topic subscription choices (issue #20)", R"sql(
-- A workspace's topics; default_subscribed: what a contact who never chose gets (1: opt-out).
CREATE TABLE topics (
  workspace TEXT NOT NULL,
  name TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  default_subscribed INTEGER NOT NULL DEFAULT 1,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (workspace, name)
) WITHOUT ROWID;
-- Contacts (lower-cased addresses), listed by address (the primary key serves the pages).
CREATE TABLE contacts (
  workspace TEXT NOT NULL,
  address TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (workspace, address)
) WITHOUT ROWID;
-- Explicit choices only: no row means the topic's default. The send path reads one row per
-- recipient by primary key; deleting a topic deletes by contact_topics_topic.
CREATE TABLE contact_topics (
  workspace TEXT NOT NULL,
  address TEXT NOT NULL,
  topic TEXT NOT NULL,
  subscribed INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (workspace, address, topic)
) WITHOUT ROWID;
CREATE INDEX contact_topics_topic ON contact_topics (workspace, topic);
)sql"},
    {21, "email templates: a workspace's stored templates (the simulator's, issue #20)", R"sql(
-- Subject, text and HTML as written (Handlebars, sesami/template.hpp renders them). A workspace
-- connected to SES keeps its templates in SES instead; these rows are the simulator's.
CREATE TABLE email_templates (
  workspace TEXT NOT NULL,
  name TEXT NOT NULL,
  subject TEXT NOT NULL DEFAULT '',
  text_part TEXT NOT NULL DEFAULT '',
  html_part TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (workspace, name)
) WITHOUT ROWID;
)sql"},
};

inline constexpr int latest_version = migrations[std::size(migrations) - 1].version;

}  // namespace sesami::store::sqlite
