#include <sesami/batch.hpp>  // first: proves the header self-contained

#include <catch2/catch.hpp>

#include <sesami/aggregate.hpp>
#include <sesami/filter.hpp>

#include "random_events.hpp"

using namespace sesami;

namespace {
event make(std::string msg, event_type t, std::optional<std::string> rcpt, std::int64_t ts) {
  event e;
  e.message_id = std::move(msg);
  e.type = t;
  e.recipient = std::move(rcpt);
  e.timestamp = ts;
  e.sender = "news@shop.example";
  e.configuration_set = "marketing";
  return e;
}

std::uint32_t get_u32(const std::string& s, std::size_t pos) {
  std::uint32_t v = 0;
  for (std::size_t i = 4; i-- > 0;) v = (v << 8) | static_cast<unsigned char>(s[pos + i]);
  return v;
}
void put_u32(std::string& s, std::size_t pos, std::uint32_t v) {
  for (std::size_t i = 0; i < 4; ++i) s[pos + i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}
}  // namespace

TEST_CASE("batch_builder stores columns and dictionaries", "[batch]") {
  std::vector<event> events;
  events.push_back(make("m1", event_type::send, "a@x.com", 1000));
  events.push_back(make("m1", event_type::delivery, "a@x.com", 2000));
  events.push_back(make("m1", event_type::send, "b@y.org", 1000));
  auto click = make("m1", event_type::click, "a@x.com", 3000);
  click.details = click_info{"https://l/1", "", "", {}, true, "scanner"};
  click.tags = {{"campaign", {"spring"}}, {"team", {"a", "b"}}};
  events.push_back(click);
  auto bounce = make("m2", event_type::bounce, "b@y.org", 4000);
  bounce.details = bounce_info{"Permanent", "General", bounce_class::hard, "", "5.1.1", "", "", ""};
  events.push_back(bounce);
  events.push_back(make("m2", event_type::open, std::nullopt, 5000));

  auto r = make_batch(events);
  REQUIRE(r.has_value());
  const batch& b = *r;
  REQUIRE(b.size() == 6);

  SECTION("each distinct string is stored once; id 0 is the empty string") {
    CHECK(b.messages.size() == 3);  // "", m1, m2
    CHECK(b.recipients.size() == 3);
    CHECK(b.domains.size() == 3);
    CHECK(b.senders.size() == 2);
    CHECK(b.messages[0].empty());
    CHECK(b.message[0] == b.message[1]);
    CHECK(b.messages[b.message[4]] == "m2");
    CHECK(b.recipients[b.recipient[2]] == "b@y.org");
    CHECK(b.domains[b.domain[0]] == "x.com");
    CHECK(b.recipient[5] == 0);  // no recipient
    CHECK(b.domain[5] == 0);
    CHECK(b.messages.find("m2") == b.message[4]);
    CHECK_FALSE(b.messages.find("m3"));
  }
  SECTION("flags carry machine and bounce class") {
    CHECK(b.machine(3));
    CHECK_FALSE(b.machine(0));
    CHECK(b.bounce_class_of(4) == bounce_class::hard);
    CHECK(b.bounce_class_of(0) == bounce_class::none);
    CHECK(b.type_of(3) == event_type::click);
  }
  SECTION("tags in CSR form, as name=value") {
    CHECK(b.tags_of(0).empty());
    const auto t = b.tags_of(3);
    REQUIRE(t.size() == 3);
    CHECK(b.tags[t[0]] == "campaign=spring");
    CHECK(b.tags[t[1]] == "team=a");
    CHECK(b.tags[t[2]] == "team=b");
  }
  SECTION("pairs and their status over the whole batch") {
    CHECK(b.pair_count == 4);  // (m1,a) (m1,b) (m2,b) (m2,-)
    CHECK(b.pair[0] == b.pair[1]);
    CHECK(b.pair[0] == b.pair[3]);
    CHECK(b.pair[2] != b.pair[4]);
    CHECK(b.pair_status[b.pair[0]] == static_cast<std::uint8_t>(delivery_status::clicked));
    CHECK(b.pair_status[b.pair[2]] == static_cast<std::uint8_t>(delivery_status::sent));
    CHECK(b.pair_status[b.pair[4]] == static_cast<std::uint8_t>(delivery_status::bounced));
    CHECK(b.pair_link[3] != 0);
    CHECK(b.pair_link[0] == 0);
    CHECK(b.links[b.link[3]] == "https://l/1");
  }
  SECTION("the status does not depend on arrival order") {
    std::vector<event> reversed(events.rbegin(), events.rend());
    auto rb = make_batch(reversed);
    REQUIRE(rb.has_value());
    // Row i of the reversed batch is row 5 - i of the original.
    for (std::size_t i = 0; i < 6; ++i)
      CHECK(rb->pair_status[rb->pair[i]] == b.pair_status[b.pair[5 - i]]);
  }
}

TEST_CASE("batch wire encoding round trips", "[batch]") {
  SECTION("an empty batch") {
    const batch empty;
    const std::string bytes = encode(empty);
    CHECK(bytes.size() % 8 == 0);
    CHECK(bytes.substr(0, 8) == "SESAMICB");
    auto d = decode(bytes);
    REQUIRE(d.has_value());
    CHECK(*d == empty);
  }
  SECTION("a random corpus, derived columns included") {
    const auto events = testing::random_events({.messages = 500, .seed = 7});
    auto b = make_batch(events);
    REQUIRE(b.has_value());
    const std::string bytes = encode(*b);
    CHECK(bytes.size() % 8 == 0);
    CHECK(get_u32(bytes, 8) == columnar_version);
    CHECK(get_u32(bytes, 12) == b->size());
    auto d = decode(bytes);
    REQUIRE(d.has_value());
    CHECK(*d == *b);
    CHECK(encode(*d) == bytes);
  }
}

TEST_CASE("batch decode rejects malformed buffers", "[batch]") {
  std::vector<event> events;
  events.push_back(make("m1", event_type::send, "a@x.com", 1000));
  auto click = make("m1", event_type::click, "a@x.com", 2000);
  click.details = click_info{"https://l/1", "", "", {}, false, ""};
  click.tags = {{"campaign", {"spring"}}};
  events.push_back(click);
  events.push_back(make("m2", event_type::send, "b@y.org", 3000));
  const std::string good = encode(*make_batch(events));
  REQUIRE(decode(good).has_value());
  const std::size_t n = 3;
  // Column offsets, from docs/columnar.md's layout (n = 3: each u32 column pads to 16 bytes).
  const std::size_t ts = 32, message = ts + 24, recipient = message + 16, pair = message + 7 * 16,
                    pair_link = pair + 16, type = pair_link + 16 + 16 + 8;

  auto fails = [](const std::string& bytes) {
    auto d = decode(bytes);
    return !d && d.error().code == errc::bad_batch;
  };

  SECTION("every truncation") {
    for (std::size_t len = 0; len < good.size(); ++len) CHECK(fails(good.substr(0, len)));
  }
  SECTION("trailing bytes") { CHECK(fails(good + std::string(8, '\0'))); }
  SECTION("header fields") {
    std::string s = good;
    s[0] = 'X';
    CHECK(fails(s));
    s = good;
    put_u32(s, 8, 2);  // version
    CHECK(fails(s));
    s = good;
    put_u32(s, 12, 4);  // event count larger than the columns
    CHECK(fails(s));
    s = good;
    put_u32(s, 12, 0xFFFFFFFF);  // hostile count: no huge allocation, no overflow
    CHECK(fails(s));
    s = good;
    put_u32(s, 16, 9);  // pair count beyond the event count
    CHECK(fails(s));
    s = good;
    put_u32(s, 28, 1);  // reserved
    CHECK(fails(s));
  }
  SECTION("ids outside their dictionaries") {
    std::string s = good;
    put_u32(s, recipient, 99);
    CHECK(fails(s));
    s = good;
    put_u32(s, message + 8, 0x80000000u);
    CHECK(fails(s));
    s = good;
    put_u32(s, pair, 7);
    CHECK(fails(s));
  }
  SECTION("inconsistent pair ids") {
    std::string s = good;
    put_u32(s, pair + 8, get_u32(s, pair));  // (m2, b) claims the pair id of (m1, a)
    CHECK(fails(s));
    s = good;
    put_u32(s, pair_link, 1);  // a send with a pair_link id but no link
    CHECK(fails(s));
  }
  SECTION("unknown type codes and flag bits") {
    std::string s = good;
    s[type] = static_cast<char>(event_type_count);
    CHECK(fails(s));
    s = good;
    s[type + 8 + 1] = static_cast<char>(0x80);  // flags of event 1
    CHECK(fails(s));
    s = good;
    s[type + 8] = static_cast<char>(7 << event_flags::bounce_class_shift);
    CHECK(fails(s));
  }
  SECTION("nonzero padding") {
    std::string s = good;
    s[message + n * 4] = 1;  // 12 bytes of message ids, then 4 bytes of padding
    CHECK(fails(s));
    s = good;
    s[type + n] = 1;
    CHECK(fails(s));
  }
  SECTION("random corruption is an error or a batch that is safe to query") {
    testing::rng r{42};
    const std::string big =
        encode(*make_batch(testing::random_events({.messages = 40, .seed = 3})));
    for (int round = 0; round < 3000; ++round) {
      std::string s = big;
      const auto flips = 1 + r.below(4);
      for (std::uint64_t k = 0; k < flips; ++k)
        s[static_cast<std::size_t>(r.below(s.size()))] = static_cast<char>(r.below(256));
      auto d = decode(s);
      if (!d) {
        CHECK(d.error().code == errc::bad_batch);
        continue;
      }
      // Decoded: every query must stay in bounds (ASan/UBSan builds check this).
      const auto sel = select(*d, filter{});
      CHECK(sel.size() == d->size());
      filter f;
      f.statuses = {delivery_status::bounced, delivery_status::opened};
      f.recipients = {"*user1*"};
      (void)select(*d, f);
      // A corrupted timestamp may stretch the span beyond max_buckets: an error, not a crash.
      const auto agg = aggregate(*d, sel, {.bucket = bucket_kind::month});
      CHECK((agg.has_value() || agg.error().code == errc::bad_filter));
    }
  }
}
