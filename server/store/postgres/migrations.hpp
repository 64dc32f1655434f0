#pragma once
// The PostgreSQL schema, as an ordered list of migrations of its own (PostgreSQL databases have
// no history to replay: version 1 is SQLite's migrations 1–3, 5, 6 in their final shape, version 2
// SQLite's migration 4). `schema_migrations` records each migration applied; at start-up every
// newer one runs in its own transaction (under an advisory lock, so nodes starting together
// migrate once), and a database holding a version above the last entry here is refused.
//
// TO EXTEND THE SCHEMA: append an entry with the next version. Never edit a shipped one.
//
// Differences from SQLite, and why:
// - events is partitioned by month on ts (ms). A unique index on a partitioned table must hold
//   the partition key, so identity is UNIQUE (workspace, id, ts) — the same constraint, since the
//   identity hashes the timestamp (sesami/identity.hpp). Partitions are created ahead and on
//   demand (pg_store.cpp); retention drops whole months.
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
};

inline constexpr int latest_version = migrations[std::size(migrations) - 1].version;

}  // namespace sesami::store::pg
