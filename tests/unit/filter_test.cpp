#include <sesami/filter.hpp>  // first: proves the header self-contained

#include <catch2/catch.hpp>

#include "random_events.hpp"
#include "reference_aggregate.hpp"

using namespace sesami;

namespace {
event make(std::string msg, event_type t, std::optional<std::string> rcpt, std::int64_t ts,
           std::string config = "", tag_map tags = {}) {
  event e;
  e.message_id = std::move(msg);
  e.type = t;
  e.recipient = std::move(rcpt);
  e.timestamp = ts;
  e.configuration_set = std::move(config);
  e.tags = std::move(tags);
  return e;
}

// A small mailing with one story per recipient.
std::vector<event> story() {
  std::vector<event> v;
  const tag_map spring = {{"campaign", {"spring"}}, {"env", {"prod"}}};
  const tag_map summer = {{"campaign", {"summer"}}, {"env", {"test"}}};
  v.push_back(make("m1", event_type::send, "ann@example.com", 1000, "marketing", spring));      // 0
  v.push_back(make("m1", event_type::delivery, "ann@example.com", 2000, "marketing", spring));  // 1
  auto open = make("m1", event_type::open, "ann@example.com", 3000, "marketing", spring);
  open.details = open_info{"", "Mozilla/5.0", true, "apple-mpp"};
  v.push_back(open);  // 2
  auto human = make("m1", event_type::open, "ann@example.com", 4000, "marketing", spring);
  human.details = open_info{};
  v.push_back(human);                                                                     // 3
  v.push_back(make("m1", event_type::send, "bob@gmail.com", 1000, "marketing", spring));  // 4
  auto bounce = make("m1", event_type::bounce, "bob@gmail.com", 1500, "marketing", spring);
  bounce.details = bounce_info{"Permanent", "General", bounce_class::hard, "", "5.1.1", "", "", ""};
  v.push_back(bounce);                                                                         // 5
  v.push_back(make("m2", event_type::send, "carl@gmail.com", 5000, "transactional", summer));  // 6
  v.push_back(make("m2", event_type::complaint, "carl@gmail.com", 9000, "", summer));          // 7
  v.back().details = complaint_info{};
  v.push_back(make("m3", event_type::open, std::nullopt, 6000));  // 8
  v.back().details = open_info{};
  return v;
}

selection run(const batch& b, const filter& f) { return select(b, f); }
}  // namespace

TEST_CASE("filter semantics per field", "[filter]") {
  const batch b = *make_batch(story());
  filter f;

  SECTION("no criteria: everything") { CHECK(run(b, f) == select_all(b)); }
  SECTION("time range is [from, to)") {
    f.from = 2000;
    f.to = 5000;
    CHECK(run(b, f) == selection{1, 2, 3});
    f.from = 0;
    f.to = 1000;
    CHECK(run(b, f).empty());
  }
  SECTION("types: any of") {
    f.types = {event_type::bounce, event_type::complaint};
    CHECK(run(b, f) == selection{5, 7});
  }
  SECTION("statuses: every event of pairs whose status over the batch is in the set") {
    f.statuses = {delivery_status::bounced};
    CHECK(run(b, f) == selection{4, 5});
    f.statuses = {delivery_status::opened, delivery_status::complained};
    CHECK(run(b, f) == selection{0, 1, 2, 3, 6, 7, 8});
    f.statuses = {delivery_status::delivered};  // ann opened after delivery: no longer delivered
    CHECK(run(b, f).empty());
  }
  SECTION("recipient: exact, substring, prefix, suffix, domain, case-insensitive patterns") {
    f.recipients = {"ann@example.com"};
    CHECK(run(b, f) == selection{0, 1, 2, 3});
    f.recipients = {"*GMAIL*"};
    CHECK(run(b, f) == selection{4, 5, 6, 7});
    f.recipients = {"car*"};
    CHECK(run(b, f) == selection{6, 7});
    f.recipients = {"*@example.com"};
    CHECK(run(b, f) == selection{0, 1, 2, 3});
    f.recipients = {"@gmail.com"};
    CHECK(run(b, f) == selection{4, 5, 6, 7});
    f.recipients = {"@mail.com"};  // domains match whole, not by suffix
    CHECK(run(b, f).empty());
    f.recipients = {"ann@example.com", "@gmail.com"};
    CHECK(run(b, f) == selection{0, 1, 2, 3, 4, 5, 6, 7});
    f.recipients = {"nobody@example.com"};
    CHECK(run(b, f).empty());
  }
  SECTION("message id and configuration set") {
    f.message_ids = {"m2", "m3"};
    CHECK(run(b, f) == selection{6, 7, 8});
    f.message_ids = {"nope"};
    CHECK(run(b, f).empty());
    f.message_ids.clear();
    f.configuration_sets = {"transactional"};
    CHECK(run(b, f) == selection{6});
  }
  SECTION("tags: same name any of, different names all of") {
    f.tags = {{"campaign", "spring"}};
    CHECK(run(b, f) == selection{0, 1, 2, 3, 4, 5});
    f.tags = {{"campaign", "spring"}, {"campaign", "summer"}};
    CHECK(run(b, f) == selection{0, 1, 2, 3, 4, 5, 6, 7});
    f.tags = {{"campaign", "summer"}, {"env", "prod"}};
    CHECK(run(b, f).empty());
    f.tags = {{"campaign", "summer"}, {"env", "test"}};
    CHECK(run(b, f) == selection{6, 7});
  }
  SECTION("machine include, exclude, only") {
    f.types = {event_type::open};
    CHECK(run(b, f) == selection{2, 3, 8});
    f.machine = machine_filter::exclude;
    CHECK(run(b, f) == selection{3, 8});
    f.machine = machine_filter::only;
    CHECK(run(b, f) == selection{2});
  }
  SECTION("criteria combine with and") {
    f.types = {event_type::send};
    f.recipients = {"@gmail.com"};
    f.to = 2000;
    CHECK(run(b, f) == selection{4});
  }
}

TEST_CASE("select agrees with the row-wise reference on random data", "[filter]") {
  const auto events = testing::random_events({.messages = 2000, .seed = 11, .recipients = 800});
  const batch b = *make_batch(events);
  testing::rng r{99};
  const std::vector<std::string> patterns = {
      "user1@example.com",        "*user1*", "user2*",        "*@gmail.com", "@yahoo.com",
      "@simulator.amazonses.com", "*5@*",    "nobody@nowhere"};
  for (int round = 0; round < 300; ++round) {
    filter f;
    if (r.chance(50)) f.from = 1767225600000 + static_cast<std::int64_t>(r.below(60)) * 86'400'000;
    if (r.chance(50))
      f.to = 1767225600000 + static_cast<std::int64_t>(30 + r.below(70)) * 86'400'000;
    if (f.from && f.to && *f.from > *f.to) std::swap(f.from, f.to);
    for (unsigned k = 0, n = static_cast<unsigned>(r.below(3)); k < n; ++k)
      f.types.push_back(static_cast<event_type>(r.below(event_type_count)));
    if (r.chance(25))
      for (unsigned k = 0, n = 1 + static_cast<unsigned>(r.below(2)); k < n; ++k)
        f.statuses.push_back(static_cast<delivery_status>(r.below(delivery_status_count)));
    if (r.chance(25)) f.recipients.push_back(r.pick(patterns));
    if (r.chance(10)) f.message_ids.push_back(events[r.below(events.size())].message_id);
    if (r.chance(20)) f.configuration_sets.push_back(r.chance(50) ? "marketing" : "transactional");
    if (r.chance(25)) f.tags.push_back({"campaign", r.chance(50) ? "spring" : "welcome"});
    if (r.chance(15)) f.tags.push_back({"env", "prod"});
    if (r.chance(10)) f.tags.push_back({"team", "b"});
    f.machine = static_cast<machine_filter>(r.below(3));
    INFO("round " << round);
    CHECK(select(b, f) == testing::reference_select(events, f));
  }
}

TEST_CASE("filter_from_query", "[filter]") {
  using P = query_param;
  SECTION("every key") {
    const P q[] = {{"from", "2026-01-01T00:00:00Z"},
                   {"to", "2026-02-01"},
                   {"type", "open,click"},
                   {"type", "open"},
                   {"status", "bounced"},
                   {"recipient", "*@Gmail.com"},
                   {"recipient", "@example.com"},
                   {"messageId", "0100-abc"},
                   {"tag", "campaign=spring"},
                   {"tag", "ses:from-domain=shop.example"},
                   {"configurationSet", "marketing"},
                   {"machine", "exclude"}};
    auto f = filter_from_query(q);
    REQUIRE(f.has_value());
    CHECK(f->from == 1767225600000);
    CHECK(f->to == 1769904000000);
    CHECK(f->types == std::vector<event_type>{event_type::open, event_type::click});
    CHECK(f->statuses == std::vector<delivery_status>{delivery_status::bounced});
    CHECK(f->recipients == std::vector<std::string>{"*@gmail.com", "@example.com"});
    CHECK(f->message_ids == std::vector<std::string>{"0100-abc"});
    CHECK(f->tags ==
          std::vector<tag_match>{{"campaign", "spring"}, {"ses:from-domain", "shop.example"}});
    CHECK(f->configuration_sets == std::vector<std::string>{"marketing"});
    CHECK(f->machine == machine_filter::exclude);

    SECTION("to_query is its inverse") {
      const auto canon = to_query(*f);
      std::vector<P> again;
      for (const auto& [k, v] : canon) again.emplace_back(k, v);
      auto g = filter_from_query(again);
      REQUIRE(g.has_value());
      CHECK(*g == *f);
      CHECK(canon.front() ==
            std::pair<std::string, std::string>{"from", "2026-01-01T00:00:00.000Z"});
    }
  }
  SECTION("no parameters: an empty filter") {
    auto f = filter_from_query({});
    REQUIRE(f.has_value());
    CHECK(*f == filter{});
  }
  SECTION("the caller's own keys pass, unknown keys fail") {
    const P q[] = {{"limit", "50"}, {"type", "send"}};
    const std::string_view own[] = {"limit", "cursor"};
    CHECK(filter_from_query(q, own).has_value());
    auto bad = filter_from_query(q);
    REQUIRE(bad.has_error());
    CHECK(bad.error().code == errc::bad_filter);
    CHECK(bad.error().id() == "sesami.bad_filter");
  }
  SECTION("bad values are bad_filter errors") {
    const std::vector<std::vector<P>> cases = {
        {{"from", "yesterday"}},
        {{"to", "2026-13-01"}},
        {{"from", "2026-02-01"}, {"to", "2026-01-01"}},
        {{"from", "2026-01-01"}, {"from", "2026-01-02"}},
        {{"type", "open,bogus"}},
        {{"type", ""}},
        {{"status", "read"}},
        {{"recipient", ""}},
        {{"recipient", "*"}},
        {{"recipient", "@"}},
        {{"messageId", ""}},
        {{"tag", "campaign"}},
        {{"tag", "=x"}},
        {{"machine", "yes"}},
        {{"configurationSet", ""}},
        {{"recipeint", "a@b.c"}},
    };
    for (const auto& c : cases) {
      auto f = filter_from_query(c);
      INFO(c.front().first << "=" << c.front().second);
      REQUIRE(f.has_error());
      CHECK(f.error().code == errc::bad_filter);
    }
  }
  SECTION("more than 32 tag names") {
    std::vector<std::string> storage;
    for (int i = 0; i < 33; ++i) storage.push_back("t" + std::to_string(i) + "=v");
    std::vector<P> q;
    for (const auto& s : storage) q.emplace_back("tag", s);
    CHECK_FALSE(filter_from_query(std::span(q).first(32)).has_error());
    CHECK(filter_from_query(q).error().code == errc::bad_filter);
  }
}
