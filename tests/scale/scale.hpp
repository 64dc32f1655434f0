#pragma once
// What the scale-out suite (issue #8) shares on top of the server and proof helpers: PostgreSQL
// databases (a fresh schema of the shared test database, or a private cluster the test may stop
// and restart), several `sesami serve` nodes on one database, a generated SES event stream, a
// deliverer that pushes the stream through all nodes at once and retries what was not
// acknowledged (as EventBridge and SNS do), and a snapshot of what the API answers afterwards.
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <boost/json/value.hpp>

#include "../proof/proof.hpp"

namespace sesami::test {

// ---- PostgreSQL
// ----------------------------------------------------------------------------------

/// SESAMI_TEST_PG, default postgresql://sesami:sesami@127.0.0.1:5432/sesami_test (scripts/test
/// creates the role and database).
std::string pg_test_url();

/// Runs SQL; returns the first value of the first row ("" when none); throws with the server's
/// message. An unreachable server exits 77 (ctest: skipped) under SESAMI_TEST_PG_OPTIONAL=1.
std::string pg_exec(const std::string& url, const std::string& sql);

/// `url` with a search_path option: a store on that URL lives in `schema`.
std::string with_schema(const std::string& url, const std::string& schema);

/// A fresh schema of a database, dropped with everything in it on destruction.
class pg_schema {
 public:
  explicit pg_schema(std::string server_url = pg_test_url());
  ~pg_schema();
  pg_schema(const pg_schema&) = delete;
  pg_schema& operator=(const pg_schema&) = delete;
  /// The --db URL of a store in this schema.
  std::string url() const { return with_schema(server_url_, name_); }

 private:
  std::string server_url_, name_;
};

/// The database of a multi-node test: a fresh schema of the PostgreSQL test database, or, with
/// SESAMI_SCALE_BACKEND=sqlite, an SQLite file under `dir` that every node opens (WAL lets several
/// processes share it: the same test on the default backend).
class scale_db {
 public:
  scale_db(const fs::path& dir, const std::string& name);
  const std::string& url() const { return url_; }

 private:
  std::unique_ptr<pg_schema> schema_;
  std::string url_;
};

/// A PostgreSQL cluster of its own (initdb in a temporary directory, a free loopback port, trust
/// authentication), so that a test can stop and restart it without disturbing anyone else's. As
/// root, the PostgreSQL programs run as the `postgres` user (they refuse root).
class private_cluster {
 public:
  private_cluster();
  ~private_cluster();
  private_cluster(const private_cluster&) = delete;
  private_cluster& operator=(const private_cluster&) = delete;

  /// postgresql://sesami@127.0.0.1:PORT/postgres
  std::string url() const;
  void start();
  /// pg_ctl stop -m MODE: "fast" (a clean shutdown) or "immediate" (a crash: recovery on start).
  void stop(const std::string& mode);

 private:
  int pg(const std::vector<std::string>& args) const;
  fs::path dir_;
  std::string bin_;
  unsigned short port_ = 0;
  bool running_ = false;
};

// ---- nodes -------------------------------------------------------------------------------------

/// N `sesami serve` processes on one database (each with its own directory for logs and SNS
/// certificates), the first `running` of them (all by default) started one after the other. A
/// node can be killed and restarted; its port changes then (0 while it is down).
class fleet {
 public:
  fleet(const fs::path& root, std::string db, int nodes, std::vector<std::string> extra = {},
        int running = -1);
  int size() const { return static_cast<int>(nodes_.size()); }
  unsigned short port(int i) const { return nodes_[static_cast<std::size_t>(i)]->port; }
  /// The port of any running node.
  unsigned short any_port() const;
  server_process& node(int i) { return *nodes_[static_cast<std::size_t>(i)]->proc; }
  /// SIGKILL: a crash, nothing drains.
  void kill(int i);
  void start(int i);
  /// The end of every node's log, for failure messages.
  std::string logs() const;

 private:
  struct node_state {
    fs::path dir;
    std::unique_ptr<server_process> proc;
    std::atomic<unsigned short> port{0};
  };
  std::string db_;
  std::vector<std::string> extra_;
  std::vector<std::unique_ptr<node_state>> nodes_;
};

/// `--redis URL --redis-key-file FILE` for nodes that share Redis: SESAMI_TEST_REDIS, default
/// redis://127.0.0.1:6379 with a database number picked from the process id (tests running at the
/// same time do not share buckets). A node that cannot reach Redis runs on in-process versions.
std::vector<std::string> redis_flags(const fs::path& dir);

// ---- the event stream ------------------------------------------------------------------------

/// One SES event as EventBridge delivers it, and what identifies it once stored.
struct stream_event {
  std::string message_id, type, recipient, body;
};

/// SES traffic for `messages` messages to `recipients` recipients (seeded): every message has a
/// Send; then, by recipient, hard bounces, complaints after delivery, or deliveries (sometimes
/// delayed first) with opens and clicks. Timestamps fall within the last 20 days, spread over
/// hours, so that rollups have many buckets.
struct event_stream {
  std::vector<stream_event> events;
  std::vector<std::string> recipients;
  std::string stats_query;  // from/to around every timestamp, for GET /stats
};
event_stream make_stream(std::uint64_t seed, int messages, int recipients);

/// The order requests go out in: every event once, a share of them twice (the copy anywhere in
/// the stream, as SNS redelivers), all shuffled.
std::vector<std::size_t> shuffled_with_duplicates(const event_stream& s, double duplicate_share,
                                                  std::mt19937_64& rng);

/// What the deliverer saw.
struct delivery_report {
  std::vector<int> acks;         // per stream event: how many of its requests got a 2xx
  std::map<int, int> statuses;   // every answer's HTTP status → count
  int unanswered = 0;            // requests without an answer (the node died, or was down)
  std::string first_unexpected;  // the first answer neither 2xx nor 503, with its body
  std::size_t requests = 0;      // requests in the stream (duplicates included)
};

/// Sends the requests of `order` through every running node at once (`senders` threads, each
/// rotating over the nodes), and keeps what was not acknowledged (an error answer, or no answer)
/// to send again, through the next node, until every request got a 2xx.
class deliverer {
 public:
  /// The last `held` requests of `order` wait for release_held().
  deliverer(fleet& nodes, const event_stream& s, std::vector<std::size_t> order,
            const workspace_secrets& ws, int senders, std::size_t held = 0);
  ~deliverer();
  deliverer(const deliverer&) = delete;
  deliverer& operator=(const deliverer&) = delete;

  std::size_t acknowledged() const { return acked_; }
  /// Lets the held requests go, after everything already under way.
  void release_held();
  /// Blocks until `n` requests have been acknowledged; false after `timeout`.
  bool wait_acknowledged(std::size_t n, std::chrono::seconds timeout) const;
  delivery_report report() const;
  /// Waits until every request is acknowledged (false after `timeout`), then stops the senders.
  bool finish(std::chrono::seconds timeout);

 private:
  void sender(int k);
  fleet& nodes_;
  const event_stream& s_;
  const workspace_secrets ws_;
  mutable std::mutex mu_;
  std::vector<std::size_t> pending_;  // next request last
  std::vector<std::size_t> held_;
  delivery_report rep_;
  std::atomic<std::size_t> acked_{0};
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
};

/// A fresh workspace `acme` on `db` that accepts EventBridge events from account 123456789012.
workspace_secrets make_ingest_workspace(const std::string& db);

// ---- what the API answers ----------------------------------------------------------------------

/// Everything a user can read about the stream through one node: every stored event, each
/// recipient's page (status, per-message statuses, events), the rollups and the suppression list.
struct snapshot {
  std::vector<boost::json::value> events;                // sorted by id
  std::map<std::string, boost::json::value> recipients;  // address → GET /recipients/{address}
  boost::json::value stats;                              // GET /stats over the stream's window
  std::vector<std::string> suppressed;                   // "address reason", sorted
  int retried_503 = 0;  // reads answered 503 and retried (as a client would) before a 200
};
snapshot take_snapshot(unsigned short port, const std::string& key, const event_stream& s);

/// Differences between two snapshots, readable, at most `max` of them.
std::vector<std::string> differences(const snapshot& got, const snapshot& want,
                                     std::size_t max = 10);

/// Differences between the rollups of a snapshot and a recount of its events by the analytics
/// core (totals, statuses, bounce classes, opens, clicks).
std::vector<std::string> recount_differences(const snapshot& s);

/// For each stream event, how many stored events carry its message id, type and recipient; and
/// stored events that match none.
struct stored_count {
  std::vector<int> per_event;
  std::vector<std::string> strangers;
};
stored_count count_stored(const snapshot& snap, const event_stream& s);

/// The same stream sent once, in order, through a single node on a fresh database `db`: the
/// reference a multi-node run must equal (its answers must all be 2xx).
snapshot single_node_reference(const fs::path& root, const std::string& db, const event_stream& s);

}  // namespace sesami::test
