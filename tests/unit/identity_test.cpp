#include <sesami/identity.hpp>

#include <string>

#include <catch2/catch.hpp>

using namespace sesami;

TEST_CASE("MurmurHash3_x64_128 matches the reference", "[identity]") {
  SECTION("SMHasher's verification value 0x6384BA69") {
    // SMHasher's VerificationTest: hash {}, {0}, {0,1}, ... {0..254} with seed 256-i, hash the
    // 256 concatenated 16-byte results with seed 0, read the first 4 bytes little-endian.
    std::string key, all;
    for (int i = 0; i < 256; ++i) {
      const hash128 h = murmur3_x64_128(key, static_cast<std::uint32_t>(256 - i));
      for (const std::uint64_t half : {h.h1, h.h2})
        for (int b = 0; b < 8; ++b) all += static_cast<char>((half >> (8 * b)) & 0xff);
      key += static_cast<char>(i);
    }
    const hash128 final_hash = murmur3_x64_128(all, 0);
    CHECK((final_hash.h1 & 0xffffffffu) == 0x6384BA69u);
  }
  SECTION("empty input, seed 0") {
    CHECK(murmur3_x64_128("") == hash128{0, 0});
    CHECK(to_hex(murmur3_x64_128("")) == std::string(32, '0'));
  }
  SECTION("usable at compile time") {
    static_assert(murmur3_x64_128("").h1 == 0);
    constexpr hash128 h = murmur3_x64_128("sesami");
    static_assert(h.h1 != 0);
  }
}

TEST_CASE("event identity", "[identity]") {
  event e;
  e.message_id = "EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000";
  e.type = event_type::bounce;
  e.recipient = "recipient@example.com";
  e.timestamp = 1501893662669;  // 2017-08-05T00:41:02.669Z

  SECTION("the key is spelled out by the spec") {
    CHECK(identity_key(e) ==
          "sesami:v1\x1f"
          "EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000\x1f"
          "bounce\x1f"
          "recipient@example.com\x1f"
          "1501893662669");
  }
  SECTION("ids computed with an independent implementation (Python, checked against SMHasher)") {
    CHECK(event_id(e) == "51ba7e88bbd09047a78f87a6bbd6cf35");

    event c = e;
    c.type = event_type::click;
    c.timestamp = 1502322685570;
    c.details =
        click_info{"http://docs.aws.amazon.com/ses/latest/DeveloperGuide/send-email-smtp.html",
                   "",
                   "",
                   {},
                   false,
                   ""};
    CHECK(event_id(c) == "6ef35068e0dfd6b914df03d244b075fe");

    event o;
    o.message_id = "m-1";
    o.type = event_type::open;
    o.timestamp = 1700000000000;
    o.destinations = {"a@example.com", "b@example.com"};
    CHECK(event_id(o) == "a0c3c694a337267356307a5947a14f16");

    event u;
    u.type = event_type::unknown;
    u.raw = R"({"eventType":"Teleport"})";
    CHECK(event_id(u) == "5cb97fc315bc65cae92db115442514ab");
  }
  SECTION("what changes the identity and what does not") {
    const std::string id = event_id(e);
    event same = e;
    same.source.sns_message_id = "another delivery of the same event";
    same.subject = "details are not part of the identity";
    CHECK(event_id(same) == id);
    event other = e;
    other.timestamp += 1;
    CHECK(event_id(other) != id);
    other = e;
    other.recipient = "other@example.com";
    CHECK(event_id(other) != id);
    other = e;
    other.type = event_type::complaint;
    CHECK(event_id(other) != id);
    CHECK(event_id(e).size() == 32);
  }
  SECTION("clicks on two links at the same moment are two events") {
    event a = e;
    a.type = event_type::click;
    a.details = click_info{"https://a.example", "", "", {}, false, ""};
    event b = a;
    b.details = click_info{"https://b.example", "", "", {}, false, ""};
    CHECK(event_id(a) != event_id(b));
  }
}
