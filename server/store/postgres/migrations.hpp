#pragma once
// The PostgreSQL schema, as an ordered list of migrations of its own (PostgreSQL databases have
// no history to replay: version 1 is SQLite's migrations 1–3, 5, 6 in their final shape, version 2
// SQLite's migration 4, version 3 SQLite's 7, 8 and 10, version 4 SQLite's 9). `schema_migrations`
// records each migration applied; at start-up every one not recorded runs in its own transaction
// (under an advisory lock, so nodes starting together migrate once), and a database holding a
// version above the highest entry here is refused.
//
// TO EXTEND THE SCHEMA: append an entry with the next version. Never edit a shipped one.
//
// Differences from SQLite, and why:
// - events is partitioned by month on ts (ms). A unique index on a partitioned table must hold
//   the partition key, so identity is UNIQUE (workspace, id, ts) — the same constraint, since the
//   identity hashes the timestamp (sesami/identity.hpp). Partitions are created ahead and on
//   demand (postgres/store.cpp); retention drops whole months.
// - seq comes from a sequence; event_tags joins back on (workspace, ts, seq), which the
//   events_time index serves in every partition.
// - text columns use the "C" collation: byte order, like SQLite, for cursors and sorted lists.
#include <string_view>

namespace sesami::store::pg {

struct migration {
  int version;
  std::string_view description;
  std::string_view sql;
};

inline constexpr migration migrations[] = {
    {1, "workspaces, partitioned events, statuses, rollups, suppression list, tags", R"sql(
CREATE TABLE workspaces (
  id text COLLATE "C" PRIMARY KEY,
  name text NOT NULL,
  created_at bigint NOT NULL,
  retention_days integer NOT NULL DEFAULT 0
);

CREATE SEQUENCE events_seq;
CREATE TABLE events (
  seq bigint NOT NULL DEFAULT nextval('events_seq'),
  workspace text COLLATE "C" NOT NULL,
  id bytea NOT NULL,                    -- the core's event identity, 16 bytes
  ts bigint NOT NULL,                   -- event time, ms since epoch: the partition key
  type smallint NOT NULL,
  message_id text COLLATE "C" NOT NULL,
  recipient text COLLATE "C" NOT NULL DEFAULT '',
  machine smallint NOT NULL DEFAULT 0,
  config_set text COLLATE "C" NOT NULL DEFAULT '',
  doc text NOT NULL                     -- served as is; tag filters read it as jsonb
) PARTITION BY RANGE (ts);
CREATE UNIQUE INDEX events_identity ON events (workspace, id, ts);
CREATE INDEX events_time ON events (workspace, ts, seq);
CREATE INDEX events_type_time ON events (workspace, type, ts, seq);
CREATE INDEX events_recipient ON events (workspace, recipient, ts);
CREATE INDEX events_message ON events (workspace, message_id, ts);

CREATE TABLE recipient_status (
  workspace text COLLATE "C" NOT NULL,
  message_id text COLLATE "C" NOT NULL,
  recipient text COLLATE "C" NOT NULL,
  status smallint NOT NULL,
  first_seen bigint NOT NULL,
  last_seen bigint NOT NULL,
  first_open bigint,
  first_human_open bigint,
  first_click bigint,
  first_human_click bigint,
  PRIMARY KEY (workspace, message_id, recipient)
);
CREATE INDEX recipient_status_recipient ON recipient_status (workspace, recipient);

CREATE TABLE rollups (
  workspace text COLLATE "C" NOT NULL,
  hour bigint NOT NULL,                 -- ms since epoch / 3 600 000
  type smallint NOT NULL,
  count bigint NOT NULL DEFAULT 0,
  machine bigint NOT NULL DEFAULT 0,
  uniq bigint NOT NULL DEFAULT 0,
  uniq_human bigint NOT NULL DEFAULT 0,
  hard bigint NOT NULL DEFAULT 0,
  soft bigint NOT NULL DEFAULT 0,
  suppressed bigint NOT NULL DEFAULT 0,
  undetermined bigint NOT NULL DEFAULT 0,
  sim_count bigint NOT NULL DEFAULT 0,
  sim_uniq_human bigint NOT NULL DEFAULT 0,
  sim_hard bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (workspace, hour, type)
);

CREATE TABLE status_counts (
  workspace text COLLATE "C" NOT NULL,
  status smallint NOT NULL,
  n bigint NOT NULL,
  PRIMARY KEY (workspace, status)
);
CREATE TABLE status_rollups (
  workspace text COLLATE "C" NOT NULL,
  hour bigint NOT NULL,
  status smallint NOT NULL,
  n bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (workspace, hour, status)
);

CREATE TABLE pair_links (
  workspace text COLLATE "C" NOT NULL,
  message_id text COLLATE "C" NOT NULL,
  recipient text COLLATE "C" NOT NULL,
  link text COLLATE "C" NOT NULL,
  first_click bigint NOT NULL,
  PRIMARY KEY (workspace, message_id, recipient, link)
);
CREATE TABLE link_rollups (
  workspace text COLLATE "C" NOT NULL,
  hour bigint NOT NULL,
  link text COLLATE "C" NOT NULL,
  clicks bigint NOT NULL DEFAULT 0,
  human bigint NOT NULL DEFAULT 0,
  uniq bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (workspace, hour, link)
);
CREATE TABLE domain_rollups (
  workspace text COLLATE "C" NOT NULL,
  hour bigint NOT NULL,
  domain text COLLATE "C" NOT NULL,
  bounces bigint NOT NULL DEFAULT 0,
  hard bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (workspace, hour, domain)
);

CREATE TABLE suppressions (
  workspace text COLLATE "C" NOT NULL,
  address text COLLATE "C" NOT NULL,
  reason text NOT NULL,
  source text NOT NULL,
  event_id text NOT NULL DEFAULT '',
  created_at bigint NOT NULL,
  PRIMARY KEY (workspace, address)
);

CREATE TABLE sns_messages (
  workspace text COLLATE "C" NOT NULL,
  sns_message_id text COLLATE "C" NOT NULL,
  seen_at bigint NOT NULL,
  PRIMARY KEY (workspace, sns_message_id)
);
CREATE INDEX sns_messages_seen ON sns_messages (workspace, seen_at);

CREATE TABLE event_tags (
  workspace text COLLATE "C" NOT NULL,
  name text COLLATE "C" NOT NULL,
  value text COLLATE "C" NOT NULL,
  ts bigint NOT NULL,
  seq bigint NOT NULL,
  PRIMARY KEY (workspace, name, value, ts, seq)
);
CREATE INDEX event_tags_time ON event_tags (workspace, ts, seq);  -- retention
)sql"},
    {2, "accounts: users, memberships, API keys, sessions, ingest tokens, connected AWS accounts",
     R"sql(
CREATE TABLE users (
  id text COLLATE "C" PRIMARY KEY,
  email text COLLATE "C" NOT NULL UNIQUE,
  password_hash text NOT NULL,
  created_at bigint NOT NULL
);
CREATE TABLE memberships (
  workspace text COLLATE "C" NOT NULL,
  user_id text COLLATE "C" NOT NULL,
  role text NOT NULL,
  PRIMARY KEY (workspace, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id);
CREATE TABLE api_keys (
  hash bytea PRIMARY KEY,
  id text COLLATE "C" NOT NULL UNIQUE,
  workspace text COLLATE "C" NOT NULL,
  role text NOT NULL,
  name text NOT NULL,
  created_at bigint NOT NULL
);
CREATE INDEX api_keys_workspace ON api_keys (workspace);
CREATE TABLE sessions (
  hash bytea PRIMARY KEY,
  user_id text COLLATE "C" NOT NULL,
  csrf text NOT NULL,
  created_at bigint NOT NULL,
  expires_at bigint NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE TABLE ingest_tokens (
  workspace text COLLATE "C" PRIMARY KEY,
  token_hash bytea NOT NULL UNIQUE,
  secret_hash bytea NOT NULL,
  rotated_at bigint NOT NULL
);
CREATE TABLE aws_accounts (
  workspace text COLLATE "C" NOT NULL,
  account_id text COLLATE "C" NOT NULL,
  PRIMARY KEY (workspace, account_id)
);
)sql"},
    {3, "sending: AWS connections, mail secret, idempotency, attempts, bulk queue, sync",
     R"sql(
-- SQLite's migrations 7, 8 and 10 (same columns and meaning; see sqlite/migrations.hpp).
CREATE TABLE aws_connections (
  workspace text COLLATE "C" PRIMARY KEY,
  external_id text NOT NULL,
  role_arn text,                        -- NULL: not connected
  region text,
  configuration_set text,
  queue_url text,
  mode text,                            -- sqs, api-destination, event-bus
  updated_at bigint NOT NULL
);
CREATE INDEX aws_connections_connected ON aws_connections (workspace) WHERE role_arn IS NOT NULL;

CREATE TABLE mail_secret (
  id integer PRIMARY KEY CHECK (id = 1),
  secret text NOT NULL
);
CREATE TABLE mail_idempotency (
  workspace text COLLATE "C" NOT NULL,
  key text COLLATE "C" NOT NULL,
  request_hash text NOT NULL,
  done boolean NOT NULL DEFAULT false,
  code text NOT NULL DEFAULT '',
  response text NOT NULL DEFAULT '',
  created_at bigint NOT NULL,
  PRIMARY KEY (workspace, key)
);
CREATE TABLE mail_attempts (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id text COLLATE "C" NOT NULL UNIQUE,
  workspace text COLLATE "C" NOT NULL,
  created_at bigint NOT NULL,
  transport text NOT NULL,
  status text NOT NULL,
  message_id text NOT NULL DEFAULT '',
  error_code text NOT NULL DEFAULT '',
  error_message text NOT NULL DEFAULT '',
  recipients text NOT NULL DEFAULT '',
  suppressed text NOT NULL DEFAULT '',
  correlation_id text COLLATE "C" NOT NULL DEFAULT '',
  subject text NOT NULL DEFAULT '',
  bulk_id text COLLATE "C" NOT NULL DEFAULT ''
);
CREATE INDEX mail_attempts_list ON mail_attempts (workspace, seq);
CREATE INDEX mail_attempts_correlation ON mail_attempts (workspace, correlation_id, seq);
-- The bulk queue. Nodes claim jobs with FOR UPDATE SKIP LOCKED (pg_mail.cpp): a job is leased to
-- one node at a time, and an expired lease (its node died) is taken over.
CREATE TABLE mail_bulk_jobs (
  id text COLLATE "C" PRIMARY KEY,
  workspace text COLLATE "C" NOT NULL,
  status text NOT NULL,
  request text NOT NULL,
  total bigint NOT NULL,
  sent bigint NOT NULL DEFAULT 0,
  failed bigint NOT NULL DEFAULT 0,
  suppressed bigint NOT NULL DEFAULT 0,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL,
  lease_owner text NOT NULL DEFAULT '',
  lease_until bigint NOT NULL DEFAULT 0
);
CREATE INDEX mail_bulk_jobs_claim ON mail_bulk_jobs (status, created_at);
CREATE INDEX mail_bulk_jobs_workspace ON mail_bulk_jobs (workspace, id);
CREATE TABLE mail_bulk_batches (
  job_id text COLLATE "C" NOT NULL,
  idx bigint NOT NULL,
  destinations text NOT NULL,
  state smallint NOT NULL DEFAULT 0,    -- 0 pending, 1 in flight, 2 done
  updated_at bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (job_id, idx)
);

CREATE TABLE suppression_sync_baseline (
  workspace text COLLATE "C" NOT NULL,
  address text COLLATE "C" NOT NULL,
  PRIMARY KEY (workspace, address)
);
CREATE TABLE suppression_sync_runs (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  workspace text COLLATE "C" NOT NULL,
  at bigint NOT NULL,
  cause text NOT NULL,
  pulled bigint NOT NULL,
  pushed bigint NOT NULL,
  removed_local bigint NOT NULL,
  removed_remote bigint NOT NULL,
  errors text NOT NULL DEFAULT ''
);
CREATE INDEX suppression_sync_runs_last ON suppression_sync_runs (workspace, seq);
CREATE TABLE suppression_sync_changes (
  run bigint NOT NULL,
  address text COLLATE "C" NOT NULL,
  change text NOT NULL,
  reason text NOT NULL DEFAULT '',
  PRIMARY KEY (run, address)
);
)sql"},
    {4, "daily levels of the link, domain and status rollups", R"sql(
-- SQLite's migration 9: stats for long ranges read whole days from these and only the range's
-- partial edge days from the hourly tables. Maintained on write together with the hourly rows.
CREATE TABLE link_rollups_daily (
  workspace text COLLATE "C" NOT NULL,
  day bigint NOT NULL,                  -- floor(hour / 24)
  link text COLLATE "C" NOT NULL,
  clicks bigint NOT NULL DEFAULT 0,
  human bigint NOT NULL DEFAULT 0,
  uniq bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (workspace, day, link)
);
CREATE TABLE domain_rollups_daily (
  workspace text COLLATE "C" NOT NULL,
  day bigint NOT NULL,
  domain text COLLATE "C" NOT NULL,
  bounces bigint NOT NULL DEFAULT 0,
  hard bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (workspace, day, domain)
);
CREATE TABLE status_rollups_daily (
  workspace text COLLATE "C" NOT NULL,
  day bigint NOT NULL,
  status smallint NOT NULL,
  n bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (workspace, day, status)
);
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
)sql"},
    {5, "each event carries its pair's current status, indexed for status-filtered listings",
     R"sql(
-- GET /events?status=… walks (workspace, status, ts, seq) instead of every event with a status
-- lookup per row. NULL: the pair has no status (only subscription / unknown events so far).
-- Kept on write: new events get their pair's status, a status change rewrites the pair's events.
ALTER TABLE events ADD COLUMN status smallint;
UPDATE events e SET status = r.status FROM recipient_status r
  WHERE r.workspace = e.workspace AND r.message_id = e.message_id AND r.recipient = e.recipient;
CREATE INDEX events_status_time ON events (workspace, status, ts, seq);
)sql"},
    {6, "daily level of the per-type rollups", R"sql(
-- /stats by day (or week, month) at UTC reads whole days from here and only the range's partial
-- edge days from the hourly table: 90 days are ~90 x types rows instead of ~2 000 x types.
-- Maintained on write together with the hourly rows.
CREATE TABLE rollups_daily (
  workspace text COLLATE "C" NOT NULL,
  day bigint NOT NULL,                  -- floor(hour / 24)
  type smallint NOT NULL,
  count bigint NOT NULL DEFAULT 0,
  machine bigint NOT NULL DEFAULT 0,
  uniq bigint NOT NULL DEFAULT 0,
  uniq_human bigint NOT NULL DEFAULT 0,
  hard bigint NOT NULL DEFAULT 0,
  soft bigint NOT NULL DEFAULT 0,
  suppressed bigint NOT NULL DEFAULT 0,
  undetermined bigint NOT NULL DEFAULT 0,
  sim_count bigint NOT NULL DEFAULT 0,
  sim_uniq_human bigint NOT NULL DEFAULT 0,
  sim_hard bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (workspace, day, type)
);
INSERT INTO rollups_daily (workspace, day, type, count, machine, uniq, uniq_human, hard, soft,
                           suppressed, undetermined, sim_count, sim_uniq_human, sim_hard)
  SELECT workspace, CASE WHEN hour >= 0 THEN hour / 24 ELSE (hour - 23) / 24 END AS d, type,
         sum(count), sum(machine), sum(uniq), sum(uniq_human), sum(hard), sum(soft),
         sum(suppressed), sum(undetermined), sum(sim_count), sum(sim_uniq_human), sum(sim_hard)
  FROM rollups GROUP BY workspace, d, type;
)sql"},
    {7, "invitations; memberships remember when they were joined", R"sql(
-- SQLite's migration 13 (same columns and meaning; see sqlite/migrations.hpp).
CREATE TABLE invitations (
  id text COLLATE "C" PRIMARY KEY,
  token_hash bytea NOT NULL UNIQUE,
  workspace text COLLATE "C" NOT NULL,
  email text COLLATE "C" NOT NULL,
  role text NOT NULL,
  invited_by text NOT NULL,
  created_at bigint NOT NULL,
  expires_at bigint NOT NULL,
  UNIQUE (workspace, email)
);
CREATE INDEX invitations_email ON invitations (email);
ALTER TABLE memberships ADD COLUMN joined_at bigint NOT NULL DEFAULT 0;
)sql"},
    {8, "users: a one-time password must be changed before anything else", R"sql(
-- As SQLite's migration 14: set for server-made passwords, cleared when the user sets one.
ALTER TABLE users ADD COLUMN must_change_password boolean NOT NULL DEFAULT false;
)sql"},
    {9, "API keys: scopes, expiry, last use, revocation, a SigV4 credential pair", R"sql(
-- As SQLite's migration 15 (same columns and meaning; see sqlite/migrations.hpp).
ALTER TABLE api_keys ADD COLUMN scope text NOT NULL DEFAULT 'admin';
ALTER TABLE api_keys ADD COLUMN access_key_id text COLLATE "C";
ALTER TABLE api_keys ADD COLUMN secret_sealed text NOT NULL DEFAULT '';
ALTER TABLE api_keys ADD COLUMN expires_at bigint NOT NULL DEFAULT 0;
ALTER TABLE api_keys ADD COLUMN last_used_at bigint NOT NULL DEFAULT 0;
ALTER TABLE api_keys ADD COLUMN revoked_at bigint NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX api_keys_access_key ON api_keys (access_key_id);
)sql"},
    {10, "ingestion tokens: sealed copies admins can read again, the previous token's grace", R"sql(
-- As SQLite's migration 16: sealed token and secret (server key), and the token a rotation
-- replaced, valid until rotated_at + the server's grace.
ALTER TABLE ingest_tokens ADD COLUMN token_sealed text NOT NULL DEFAULT '';
ALTER TABLE ingest_tokens ADD COLUMN secret_sealed text NOT NULL DEFAULT '';
ALTER TABLE ingest_tokens ADD COLUMN previous_token_hash bytea;
ALTER TABLE ingest_tokens ADD COLUMN previous_secret_hash bytea;
CREATE INDEX ingest_tokens_previous ON ingest_tokens (previous_token_hash);
)sql"},
    {11, "outbound webhooks: endpoints, the delivery outbox and its attempt log", R"sql(
-- SQLite's migration 17 (same columns and meaning; see sqlite/migrations.hpp).
CREATE TABLE webhook_endpoints (
  id text COLLATE "C" PRIMARY KEY,
  workspace text COLLATE "C" NOT NULL,
  url text NOT NULL,
  event_types text NOT NULL DEFAULT '',
  description text NOT NULL DEFAULT '',
  enabled boolean NOT NULL DEFAULT true,
  disabled_reason text NOT NULL DEFAULT '',
  secret text NOT NULL,
  previous_secret text NOT NULL DEFAULT '',
  previous_expires_at bigint NOT NULL DEFAULT 0,
  failing_since bigint NOT NULL DEFAULT 0,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL
);
CREATE INDEX webhook_endpoints_workspace ON webhook_endpoints (workspace, enabled);
CREATE TABLE webhook_deliveries (
  id bigserial PRIMARY KEY,
  workspace text COLLATE "C" NOT NULL,
  endpoint_id text COLLATE "C" NOT NULL,
  event_id bytea,
  webhook_id text NOT NULL,
  type text NOT NULL,
  payload text,
  state smallint NOT NULL DEFAULT 0,
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at bigint NOT NULL,
  lease_owner text NOT NULL DEFAULT '',
  lease_until bigint NOT NULL DEFAULT 0,
  last_status integer NOT NULL DEFAULT 0,
  last_latency_ms bigint NOT NULL DEFAULT 0,
  last_response text NOT NULL DEFAULT '',
  last_error text NOT NULL DEFAULT '',
  created_at bigint NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 0;
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id);
CREATE TABLE webhook_attempts (
  delivery_id bigint NOT NULL,
  n integer NOT NULL,
  at bigint NOT NULL,
  status integer NOT NULL,
  latency_ms bigint NOT NULL,
  response text NOT NULL DEFAULT '',
  error text NOT NULL DEFAULT '',
  next_attempt_at bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (delivery_id, n)
);
)sql"},
    {12, "reputation guard (settings, state, soft bounces) and alerts", R"sql(
-- SQLite's migration 18 (same columns and meaning; see sqlite/migrations.hpp).
-- Per workspace: the guard's levels (ppm) and switches; absent row: SES's levels.
CREATE TABLE reputation_settings (
  workspace text PRIMARY KEY,
  bounce_warning_ppm bigint NOT NULL,
  bounce_pause_ppm bigint NOT NULL,
  complaint_warning_ppm bigint NOT NULL,
  complaint_pause_ppm bigint NOT NULL,
  min_sends bigint NOT NULL,
  pause_single bigint NOT NULL DEFAULT 0,
  soft_bounce_limit bigint NOT NULL,
  soft_bounce_days bigint NOT NULL,
  alert_from text NOT NULL DEFAULT ''
);
-- The guard's state: paused or not, and the evidence (rates per window, JSON) an admin resumed
-- on. version: compare and swap between nodes.
CREATE TABLE reputation_state (
  workspace text PRIMARY KEY,
  paused bigint NOT NULL DEFAULT 0,
  paused_at bigint NOT NULL DEFAULT 0,
  reason text NOT NULL DEFAULT '',
  crossed_window text NOT NULL DEFAULT '',
  warning_since bigint NOT NULL DEFAULT 0,
  resumed_at bigint NOT NULL DEFAULT 0,
  resumed_by text NOT NULL DEFAULT '',
  evidence text NOT NULL DEFAULT '',
  version bigint NOT NULL
);
-- One row per (address, message) soft bounce: N different messages within D days suppress.
CREATE TABLE soft_bounces (
  workspace text NOT NULL,
  address text NOT NULL,
  message_id text NOT NULL,
  at bigint NOT NULL,
  PRIMARY KEY (workspace, address, message_id)
);
-- Alerts: one open alert (resolved_at = 0) per dedupe key. mailed_at: 0 to mail, -1 being
-- mailed, else when.
CREATE TABLE alerts (
  id text PRIMARY KEY,
  workspace text NOT NULL,
  kind text NOT NULL,
  summary text NOT NULL,
  detail text NOT NULL DEFAULT '',
  action text NOT NULL DEFAULT '',
  dedupe_key text NOT NULL,
  since bigint NOT NULL,
  created_at bigint NOT NULL,
  read_at bigint NOT NULL DEFAULT 0,
  resolved_at bigint NOT NULL DEFAULT 0,
  mailed_at bigint NOT NULL DEFAULT 0,
  mail_result text NOT NULL DEFAULT '',
  mails bigint NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX alerts_open ON alerts (workspace, dedupe_key) WHERE resolved_at = 0;
CREATE INDEX alerts_workspace ON alerts (workspace, created_at);
CREATE INDEX alerts_to_mail ON alerts (mailed_at) WHERE mailed_at = 0;
)sql"},
    {13, "pipeline health: event sources, their hourly counts and last errors", R"sql(
CREATE TABLE ingest_sources (
  workspace text COLLATE "C" NOT NULL,
  id text COLLATE "C" NOT NULL,
  kind text NOT NULL,
  name text NOT NULL DEFAULT '',
  first_event_at bigint NOT NULL DEFAULT 0,
  last_event_at bigint NOT NULL DEFAULT 0,
  last_error_at bigint NOT NULL DEFAULT 0,
  last_error text NOT NULL DEFAULT '',
  silence_window_ms bigint NOT NULL DEFAULT 0,
  created_at bigint NOT NULL,
  PRIMARY KEY (workspace, id)
);
CREATE TABLE ingest_source_hours (
  workspace text COLLATE "C" NOT NULL,
  id text COLLATE "C" NOT NULL,
  hour bigint NOT NULL,
  events bigint NOT NULL,
  PRIMARY KEY (workspace, id, hour)
);
CREATE INDEX mail_attempts_created ON mail_attempts (workspace, created_at);
)sql"},
    {14, "topics and contacts: per-topic subscription choices (issue #20)", R"sql(
CREATE TABLE topics (
  workspace text COLLATE "C" NOT NULL,
  name text COLLATE "C" NOT NULL,
  description text NOT NULL DEFAULT '',
  default_subscribed boolean NOT NULL DEFAULT true,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL,
  PRIMARY KEY (workspace, name)
);
CREATE TABLE contacts (
  workspace text COLLATE "C" NOT NULL,
  address text COLLATE "C" NOT NULL,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL,
  PRIMARY KEY (workspace, address)
);
CREATE TABLE contact_topics (
  workspace text COLLATE "C" NOT NULL,
  address text COLLATE "C" NOT NULL,
  topic text COLLATE "C" NOT NULL,
  subscribed boolean NOT NULL,
  updated_at bigint NOT NULL,
  PRIMARY KEY (workspace, address, topic)
);
CREATE INDEX contact_topics_topic ON contact_topics (workspace, topic);
)sql"},
    {15, "email templates (SQLite's 21)", R"sql(
CREATE TABLE email_templates (
  workspace text COLLATE "C" NOT NULL,
  name text COLLATE "C" NOT NULL,
  subject text NOT NULL DEFAULT '',
  text_part text NOT NULL DEFAULT '',
  html_part text NOT NULL DEFAULT '',
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL,
  PRIMARY KEY (workspace, name)
);
)sql"},
};

// The highest version, wherever it sits in the list (migrations written in parallel may land out
// of order; the runner applies every version not recorded yet).
inline constexpr int latest_version = [] {
  int v = 0;
  for (const auto& m : migrations) v = m.version > v ? m.version : v;
  return v;
}();

}  // namespace sesami::store::pg
