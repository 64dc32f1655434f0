// Two-way suppression sync against the SES stand-in (suppression endpoints in SES v2's REST
// shapes, SigV4 verified) and a real SQLite store: push, pull, removals both ways, no ping-pong,
// paging, failures recorded and retried.
#include "app/suppression_sync.hpp"

#include <stdlib.h>

#include <algorithm>
#include <filesystem>

#include <catch2/catch.hpp>

#include "standin_process.hpp"
#include "store/store.hpp"
#include "store/suppression_sync_store.hpp"

namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

constexpr const char* key = "AKIASESAMISYNC000001";
constexpr const char* secret = "sesami-sync-secret-for-tests-0000000000";

struct temp_dir {
  fs::path path;
  temp_dir() {
    std::string t = (fs::temp_directory_path() / "sesami-sync-XXXXXX").string();
    REQUIRE(::mkdtemp(t.data()) != nullptr);
    path = t;
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

struct env {
  temp_dir dir;
  sesami_test::standins aws;
  std::unique_ptr<sesami::store::store> store;
  std::unique_ptr<sesami::store::suppression_sync_store> log;
  sesami::aws::http_client http;
  std::string secret_in_use = secret;
  std::unique_ptr<sesami::app::suppression_syncer> syncer;

  explicit env(json::array remote, sesami::app::suppression_sync_options opt = {})
      : aws(json::object{{"region", "eu-west-1"},
                         {"accountId", "444455556666"},
                         {"credentials", json::array{json::object{{"accessKeyId", key},
                                                                  {"secretAccessKey", secret}}}},
                         {"suppressions", std::move(remote)}},
            dir.path) {
    sesami::store::open_options o;
    o.path = (dir.path / "sesami.db").string();
    auto s = sesami::store::open_sqlite(o);
    REQUIRE(s);
    store = std::move(*s);
    REQUIRE(store->ensure_workspace("acme"));
    auto l = sesami::store::open_sqlite_suppression_sync(o.path);
    REQUIRE(l);
    log = std::move(*l);
    opt.retry_delay = std::chrono::milliseconds(10);
    syncer = std::make_unique<sesami::app::suppression_syncer>(
        *store, *log, http,
        [this](std::string_view ws) -> std::optional<sesami::app::aws_link> {
          if (ws != "acme") return std::nullopt;
          sesami::app::aws_link link;
          link.workspace = "acme";
          link.region = "eu-west-1";
          link.ses_endpoint = aws.base();
          link.credentials =
              [this]() -> boost::system::result<sesami::aws::credentials, std::string> {
            sesami::aws::credentials c;
            c.access_key_id = key;
            c.secret_access_key = secret_in_use;
            return c;
          };
          return link;
        },
        opt);
  }
  void add_local(
      const std::string& a, const std::string& reason,
      sesami::store::suppression_source src = sesami::store::suppression_source::manual) {
    sesami::store::suppression_entry e;
    e.address = a, e.reason = reason, e.source = src, e.created_at = 1;
    REQUIRE(store->add_suppressions("acme", std::vector{e}));
  }
  std::vector<std::string> local() {
    sesami::store::suppression_query q;
    q.limit = 1000;
    auto p = store->list_suppressions("acme", q);
    REQUIRE(p);
    std::vector<std::string> out;
    for (auto& e : p->entries) out.push_back(e.address);
    return out;
  }
  std::vector<std::string> remote() {
    std::vector<std::string> out;
    const auto st = aws.state();  // kept alive: the loop walks into it
    for (auto& e : st.at("suppressions").as_array())
      out.emplace_back(e.at("EmailAddress").as_string());
    std::sort(out.begin(), out.end());
    return out;
  }
  sesami::store::sync_record run() {
    auto r = syncer->sync("acme");
    REQUIRE(r);
    return *r;
  }
};

json::object ses_entry(const char* a, const char* reason) {
  return json::object{{"EmailAddress", a}, {"Reason", reason}, {"LastUpdateTime", 1700000000}};
}
using strings = std::vector<std::string>;

}  // namespace

TEST_CASE("suppression sync: push, pull, then removals on either side propagate once",
          "[suppression_sync]") {
  env e(json::array{ses_entry("b@example.com", "BOUNCE"), ses_entry("c@example.com", "COMPLAINT")});
  e.add_local("a@example.com", "complaint", sesami::store::suppression_source::event);
  e.add_local("c@example.com", "manual block");

  auto r = e.run();
  CHECK(r.pushed == 1);
  CHECK(r.pulled == 1);
  CHECK(r.removed_local == 0);
  CHECK(r.removed_remote == 0);
  CHECK(r.errors.empty());
  CHECK(e.local() == strings{"a@example.com", "b@example.com", "c@example.com"});
  CHECK(e.remote() == strings{"a@example.com", "b@example.com", "c@example.com"});
  // The pushed complaint kept its reason; the pulled bounce is marked as coming from SES.
  auto st = e.aws.state().at("suppressions").as_array();
  for (auto& s : st)
    if (s.at("EmailAddress").as_string() == "a@example.com")
      CHECK(s.at("Reason").as_string() == "COMPLAINT");
  auto b = e.store->find_suppression("acme", "b@example.com");
  REQUIRE(b);
  REQUIRE(*b);
  CHECK((*b)->source == sesami::store::suppression_source::ses_sync);
  CHECK((*b)->reason == "hard-bounce");

  // Nothing changed: nothing moves (no ping-pong).
  r = e.run();
  CHECK(r.pushed + r.pulled + r.removed_local + r.removed_remote == 0);

  // Removed here (b), removed in SES (a), new in SES (d).
  REQUIRE(e.store->remove_suppression("acme", "b@example.com"));
  e.aws.admin("DELETE", "/_admin/suppressions/a%40example.com");
  e.aws.admin("POST", "/_admin/suppressions", ses_entry("d@example.com", "BOUNCE"));
  r = e.run();
  CHECK(r.removed_remote == 1);
  CHECK(r.removed_local == 1);
  CHECK(r.pulled == 1);
  CHECK(r.pushed == 0);
  CHECK(e.local() == strings{"c@example.com", "d@example.com"});
  CHECK(e.remote() == strings{"c@example.com", "d@example.com"});
  r = e.run();
  CHECK(r.pushed + r.pulled + r.removed_local + r.removed_remote == 0);

  // The record of the last run with changes is persisted; GET answers the latest.
  auto last = e.syncer->last("acme");
  REQUIRE(last);
  REQUIRE(*last);
  CHECK((*last)->cause == "manual");
  CHECK((*last)->pulled == 0);
  // Every call carried a valid signature.
  CHECK(!e.aws.state().at("rejected").as_object().contains("SignatureDoesNotMatch"));
}

TEST_CASE("suppression sync: pages through a long SES list", "[suppression_sync]") {
  json::array remote;
  for (int i = 0; i < 7; ++i)
    remote.push_back(ses_entry(("user" + std::to_string(i) + "@example.com").c_str(), "BOUNCE"));
  sesami::app::suppression_sync_options o;
  o.page_size = 2;
  env e(std::move(remote), o);
  auto r = e.run();
  CHECK(r.pulled == 7);
  CHECK(e.local().size() == 7);
  CHECK(e.aws.calls("ses.ListSuppressedDestinations") == 4);
}

TEST_CASE("suppression sync: failures are recorded and retried by the next run",
          "[suppression_sync]") {
  env e(json::array{});
  e.add_local("x@example.com", "hard-bounce", sesami::store::suppression_source::event);
  e.aws.fault(json::object{{"service", "ses"},
                           {"action", "PutSuppressedDestination"},
                           {"status", 500},
                           {"code", "InternalFailure"},
                           {"count", 3}});
  auto r = e.run();
  CHECK(r.pushed == 0);
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].address == "x@example.com");
  CHECK(r.errors[0].code == "InternalFailure");
  CHECK(e.remote().empty());
  r = e.run();
  CHECK(r.pushed == 1);
  CHECK(r.errors.empty());
  CHECK(e.remote() == strings{"x@example.com"});

  // Throttling is retried within the run.
  e.add_local("y@example.com", "hard-bounce");
  e.aws.fault(json::object{{"service", "ses"},
                           {"action", "PutSuppressedDestination"},
                           {"status", 429},
                           {"code", "TooManyRequestsException"},
                           {"count", 1}});
  r = e.run();
  CHECK(r.pushed == 1);
  CHECK(r.errors.empty());

  // A wrong secret: SES refuses the listing; nothing changes, the record says why.
  e.secret_in_use = "wrong";
  e.add_local("z@example.com", "hard-bounce");
  r = e.run();
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].operation == "list");
  CHECK(r.errors[0].code == "InvalidSignatureException");
  CHECK(r.pushed == 0);
  auto last = e.syncer->last("acme");
  REQUIRE(last);
  REQUIRE(*last);
  REQUIRE((*last)->errors.size() == 1);
  CHECK((*last)->errors[0].code == "InvalidSignatureException");

  auto none = e.syncer->sync("other");
  REQUIRE(!none);
  CHECK(none.error().code == "aws.not_connected");
}

TEST_CASE("suppression sync: the schedule runs every connected workspace", "[suppression_sync]") {
  env e(json::array{ses_entry("s@example.com", "BOUNCE")});
  e.syncer->start_schedule(std::chrono::milliseconds(100), [] {
    sesami::app::aws_link l;
    l.workspace = "acme";
    return std::vector<sesami::app::aws_link>{l};
  });
  REQUIRE(sesami_test::eventually([&] { return e.local().size() == 1; }));
  e.syncer->stop_schedule();
  auto last = e.syncer->last("acme");
  REQUIRE(last);
  REQUIRE(*last);
  CHECK((*last)->cause == "schedule");
}
