// The reputation guard's judgement alone (app/reputation.hpp decide()): minimum volume, the
// levels a workspace may set, and when a resumed workspace pauses again — on worse rates or a new
// window, never on the evidence it was resumed on.
#include "app/reputation.hpp"

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

using sesami::app::decide;
using sesami::app::window_reading;
using sesami::store::reputation_settings;
using sesami::store::reputation_state;

namespace {
constexpr std::int64_t hour = 3'600'000;

std::vector<window_reading> readings(std::uint64_t sends, std::uint64_t bounces,
                                     std::uint64_t complaints = 0) {
  std::vector<window_reading> r{{"24h", 24}, {"7d", 168}};
  for (auto& w : r) {
    w.sends = sends, w.bounces = bounces, w.complaints = complaints;
    w.judged = sends >= 100;
  }
  return r;
}
}  // namespace

TEST_CASE("reputation: levels and minimum volume", "[reputation]") {
  const reputation_settings s;
  const reputation_state fresh;
  CHECK(decide(readings(99, 50), s, fresh, 0).status == "ok");  // not judged below 100 sends
  CHECK(decide(readings(100, 4), s, fresh, 0).status == "ok");
  const auto w = decide(readings(100, 5), s, fresh, 0);  // SES's 5 % warning, inclusive
  CHECK(w.status == "warning");
  CHECK_FALSE(w.pause_now);
  CHECK(w.reason.find("bounce rate 5.00 %") != std::string::npos);
  const auto p = decide(readings(100, 10), s, fresh, 0);
  CHECK(p.status == "paused");
  CHECK(p.pause_now);
  CHECK(decide(readings(1000, 0, 1), s, fresh, 0).status == "warning");  // complaints 0.1 %
  CHECK(decide(readings(1000, 0, 5), s, fresh, 0).pause_now);            // complaints 0.5 %

  reputation_settings lower;
  lower.bounce_warning_ppm = 20'000, lower.bounce_pause_ppm = 40'000;
  CHECK(decide(readings(100, 4), lower, fresh, 0).pause_now);
}

TEST_CASE("reputation: a resume holds on the same evidence, not on worse rates or a new window",
          "[reputation]") {
  const reputation_settings s;
  reputation_state st;
  st.resumed_at = 100 * hour;
  st.resumed_by = "owner@example.com";
  st.evidence = sesami::app::evidence_of(readings(100, 11));
  const std::int64_t soon = st.resumed_at + hour;
  auto same = decide(readings(100, 11), s, st, soon);
  CHECK(same.status == "warning");
  CHECK_FALSE(same.pause_now);
  CHECK(same.reason.find("resumed on this evidence") != std::string::npos);
  CHECK_FALSE(decide(readings(120, 11), s, st, soon).pause_now);  // better
  CHECK(decide(readings(100, 12), s, st, soon).pause_now);        // worse
  // A whole 24 h later the 24 h window holds new evidence only: crossing again pauses.
  CHECK(decide(readings(100, 11), s, st, st.resumed_at + 24 * hour).pause_now);
  // A stored pause stays until resumed, whatever the rates.
  reputation_state paused;
  paused.paused = true;
  paused.reason = "r";
  CHECK(decide(readings(100, 0), s, paused, 0).status == "paused");
  CHECK_FALSE(decide(readings(100, 0), s, paused, 0).pause_now);
}

TEST_CASE("reputation: settings accept only levels at or below SES's", "[reputation]") {
  auto apply = [](std::string_view body) {
    reputation_settings s;
    auto r = sesami::app::apply_settings(s, boost::json::parse(body).as_object());
    return r ? std::string() : r.error().code;
  };
  CHECK(apply(R"({"bounceWarning": 0.02, "bouncePause": 0.04, "minSends": 500})").empty());
  CHECK(apply(R"({"bouncePause": 0.2})") == "validation.bouncePause");
  CHECK(apply(R"({"complaintPause": 0.006})") == "validation.complaintPause");
  CHECK(apply(R"({"bounceWarning": 0})") == "validation.bounceWarning");
  CHECK(apply(R"({"bounceWarning": 0.09, "bouncePause": 0.08})") == "validation.bounceWarning");
  CHECK(apply(R"({"softBounceLimit": 1})") == "validation.softBounceLimit");
  CHECK(apply(R"({"alertFrom": "not an address"})") == "validation.alertFrom");
  CHECK(apply(R"({"nope": 1})") == "validation.field");
}
