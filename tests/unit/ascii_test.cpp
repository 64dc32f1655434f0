#include <sesami/ascii.hpp>  // first: proves the header self-contained

#include <catch2/catch.hpp>

using namespace sesami;

TEST_CASE("ascii_lower lower-cases A-Z only", "[ascii]") {
  SECTION("characters") {
    STATIC_REQUIRE(ascii_lower('A') == 'a');
    STATIC_REQUIRE(ascii_lower('Z') == 'z');
    STATIC_REQUIRE(ascii_lower('@') == '@');  // just below 'A'
    STATIC_REQUIRE(ascii_lower('[') == '[');  // just above 'Z'
    STATIC_REQUIRE(ascii_lower('a') == 'a');
  }
  SECTION("strings: other bytes, UTF-8 included, pass through") {
    CHECK(ascii_lower("Jane.Doe@Example.COM") == "jane.doe@example.com");
    CHECK(ascii_lower("") == "");
    CHECK(ascii_lower("\xC3\x89tienne@X.fr") == "\xC3\x89tienne@x.fr");  // É stays É
    const std::string s = "MiXeD";
    CHECK(ascii_lower(s) == "mixed");
    CHECK(s == "MiXeD");  // a copy: the argument is unchanged
  }
}

TEST_CASE("iequals and icontains ignore ASCII case", "[ascii]") {
  STATIC_REQUIRE(iequals("Content-Type", "content-type"));
  STATIC_REQUIRE_FALSE(iequals("Content-Type", "content-typ"));
  STATIC_REQUIRE_FALSE(iequals("a", "b"));
  STATIC_REQUIRE(icontains("Mozilla/5.0 GoogleImageProxy", "googleimageproxy"));
  STATIC_REQUIRE(icontains("anything", ""));
  STATIC_REQUIRE_FALSE(icontains("ab", "abc"));
  STATIC_REQUIRE_FALSE(icontains("Mailbox full", "unknown user"));
}
