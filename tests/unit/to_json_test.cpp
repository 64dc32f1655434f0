#include <sesami/to_json.hpp>

#include <fstream>
#include <iterator>
#include <string>

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include <sesami/parse.hpp>

namespace {
std::string fixture(const std::string& rel) {
  std::ifstream f(std::string(SESAMI_FIXTURES_DIR) + "/" + rel, std::ios::binary);
  REQUIRE(f.good());
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}
const char* all_fixtures[] = {
    "ses/event-bounce.json",
    "ses/event-complaint.json",
    "ses/event-delivery.json",
    "ses/event-send.json",
    "ses/event-reject.json",
    "ses/event-open.json",
    "ses/event-click.json",
    "ses/event-rendering-failure.json",
    "ses/event-delivery-delay.json",
    "ses/event-subscription.json",
    "ses/notification-bounce-dsn.json",
    "ses/notification-bounce-no-dsn.json",
    "ses/notification-complaint-feedback.json",
    "ses/notification-delivery.json",
    "sns/event-open.json",
    "eventbridge/event-bounce.json",
    "lambda/sqs-event.json",
    "derived/open-multi-destination-apple-mpp.json",
    "derived/unknown-event-type.json",
    "derived/click-scanner.json",
    "derived/bounce-undetermined-out-of-office.json",
};
}  // namespace

using namespace sesami;

TEST_CASE("the normalized JSON has the contract's fields, in order", "[to_json]") {
  auto ev = parse_document(fixture("ses/event-bounce.json"));
  REQUIRE(ev.has_value());
  const std::string s = to_json_string((*ev)[0]);
  CHECK(
      s ==
      R"({"id":"51ba7e88bbd09047a78f87a6bbd6cf35","messageId":"EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000",)"
      R"("type":"bounce","recipient":"recipient@example.com","timestamp":"2017-08-05T00:41:02.669Z",)"
      R"("sentAt":"2017-08-05T00:40:02.012Z","sender":"Sender Name <sender@example.com>",)"
      R"("subject":"Message sent from Amazon SES","tags":{"ses:caller-identity":["ses_user"],)"
      R"("ses:configuration-set":["ConfigSet"],"ses:from-domain":["example.com"],"ses:source-ip":["192.0.2.0"]},)"
      R"("configurationSet":"ConfigSet","source":{"shape":"ses","snsMessageId":null},)"
      R"("bounce":{"type":"Permanent","subType":"General","class":"hard","diagnosticCode":"smtp; 550 5.1.1 user unknown",)"
      R"("status":"5.1.1","action":"failed","reportingMTA":"dsn; mta.example.com",)"
      R"("feedbackId":"01000157c44f053b-61b59c11-9236-11e6-8f96-7be8aexample-000000"}})");

  SECTION("recipient null lists destinations; per-type keys") {
    auto open = parse_document(fixture("derived/open-multi-destination-apple-mpp.json"));
    REQUIRE(open.has_value());
    const auto o = to_json((*open)[0]);
    CHECK(o.at("recipient").is_null());
    CHECK(o.at("destinations").as_array().size() == 2);
    CHECK(o.at("open").as_object().at("machine").as_bool());
    CHECK(o.at("open").as_object().at("machineReason").as_string() == "apple-mpp");

    auto delay = parse_document(fixture("ses/event-delivery-delay.json"));
    REQUIRE(delay.has_value());
    const auto d = to_json((*delay)[0]);
    CHECK(d.at("type").as_string() == "delivery_delay");
    CHECK(d.at("delay").as_object().at("expirationTime").as_string() == "2020-06-16T00:25:40.914Z");
    CHECK_FALSE(d.contains("destinations"));

    auto fail = parse_document(fixture("ses/event-rendering-failure.json"));
    REQUIRE(fail.has_value());
    CHECK(to_json((*fail)[0]).at("failure").as_object().at("templateName").as_string() ==
          "MyTemplate");

    auto sub = parse_document(fixture("ses/event-subscription.json"));
    REQUIRE(sub.has_value());
    const auto s2 = to_json((*sub)[0]);
    CHECK(s2.at("subscription")
              .as_object()
              .at("newTopicPreferences")
              .as_object()
              .at("unsubscribeAll")
              .as_bool());

    auto unk = parse_document(fixture("derived/unknown-event-type.json"));
    REQUIRE(unk.has_value());
    CHECK(to_json((*unk)[0]).at("raw").as_string().starts_with("{\"eventType\":\"Teleport\""));
  }
}

TEST_CASE("the direct writer and Boost.JSON agree byte for byte", "[to_json]") {
  for (const char* name : all_fixtures) {
    auto b = parse_batch(fixture(name));
    REQUIRE(b.diagnostics.empty());
    for (const auto& e : b.events) {
      INFO(name);
      CHECK(to_json_string(e) == boost::json::serialize(to_json(e)));
    }
  }
  SECTION("escapes") {
    event e;
    e.type = event_type::send;
    e.message_id = "m";
    e.recipient = "a@b.c";
    e.subject =
        std::string("quote \" backslash \\ newline \n tab \t bell \x07 del \x7f utf8 \xC3\xA9", 47);
    CHECK(to_json_string(e) == boost::json::serialize(to_json(e)));
    auto back = event_from_json(to_json_string(e));
    REQUIRE(back.has_value());
    CHECK(back->subject == e.subject);
  }
}

TEST_CASE("event_from_json inverts to_json", "[to_json]") {
  for (const char* name : all_fixtures) {
    auto b = parse_batch(fixture(name));
    for (const auto& e : b.events) {
      INFO(name);
      const std::string first = to_json_string(e);
      auto back = event_from_json(first);
      REQUIRE(back.has_value());
      CHECK(to_json_string(*back) == first);
      CHECK(back->type == e.type);
      CHECK(back->recipient == e.recipient);
      CHECK(back->timestamp == e.timestamp);
      CHECK(back->machine() == e.machine());
    }
  }
  SECTION("errors by code") {
    CHECK(event_from_json("[]").error().code == errc::not_an_object);
    CHECK(event_from_json("{").error().code == errc::bad_json);
    CHECK(event_from_json(R"({"messageId":"m"})").error().code == errc::missing_field);
    CHECK(
        event_from_json(R"({"messageId":"m","type":"teleport","timestamp":"2020-01-01T00:00:00Z"})")
            .error()
            .code == errc::bad_value);
    CHECK(event_from_json(R"({"messageId":"m","type":"send"})").error().code ==
          errc::missing_field);
    CHECK(event_from_json(R"({"messageId":"m","type":"send","timestamp":"noon"})").error().code ==
          errc::bad_timestamp);
    CHECK(
        event_from_json(
            R"({"messageId":"m","type":"send","timestamp":"2020-01-01T00:00:00Z","tags":{"a":"b"}})")
            .error()
            .code == errc::wrong_type);
    CHECK(
        event_from_json(
            R"({"messageId":"m","type":"open","timestamp":"2020-01-01T00:00:00Z","open":{"machine":"yes"}})")
            .error()
            .code == errc::wrong_type);
  }
}
