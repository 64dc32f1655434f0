#include <sesami/parse.hpp>

#include <fstream>
#include <iterator>
#include <string>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include <sesami/to_json.hpp>

namespace {
std::string fixture(const std::string& rel) {
  std::ifstream f(std::string(SESAMI_FIXTURES_DIR) + "/" + rel, std::ios::binary);
  REQUIRE(f.good());
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}
std::vector<sesami::event> parse_ok(const std::string& rel) {
  auto r = sesami::parse_document(fixture(rel));
  INFO(rel << ": " << (r ? std::string() : r.error().message));
  REQUIRE(r.has_value());
  return std::move(*r);
}
std::int64_t ms(std::string_view iso) { return *sesami::detail::parse_iso8601(iso); }
const std::string aws_message_id = "EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000";
}  // namespace

using namespace sesami;

TEST_CASE("SES event publishing records: every type, every field", "[parse]") {
  SECTION("Bounce") {
    auto ev = parse_ok("ses/event-bounce.json");
    REQUIRE(ev.size() == 1);
    const event& e = ev[0];
    CHECK(e.type == event_type::bounce);
    CHECK(e.message_id == aws_message_id);
    CHECK(e.recipient == "recipient@example.com");
    CHECK(e.destinations.empty());
    CHECK(e.timestamp == ms("2017-08-05T00:41:02.669Z"));
    CHECK(e.sent_at == ms("2017-08-05T00:40:02.012Z"));
    CHECK(e.sender == "Sender Name <sender@example.com>");
    CHECK(e.subject == "Message sent from Amazon SES");
    CHECK(e.configuration_set == "ConfigSet");
    REQUIRE(e.tags.size() == 4);
    CHECK(e.tags[0].first == "ses:caller-identity");  // sorted by name
    CHECK(e.tags[1].first == "ses:configuration-set");
    CHECK(e.tags[1].second == std::vector<std::string>{"ConfigSet"});
    const auto* b = e.get<bounce_info>();
    REQUIRE(b);
    CHECK(b->type == "Permanent");
    CHECK(b->sub_type == "General");
    CHECK(b->status == "5.1.1");
    CHECK(b->action == "failed");
    CHECK(b->diagnostic_code == "smtp; 550 5.1.1 user unknown");
    CHECK(b->reporting_mta == "dsn; mta.example.com");
    CHECK(b->feedback_id == "01000157c44f053b-61b59c11-9236-11e6-8f96-7be8aexample-000000");
    CHECK(b->cls == bounce_class::hard);
    CHECK(e.source.shape == "ses");
    CHECK(e.source.sns_message_id.empty());
  }
  SECTION("Complaint") {
    auto ev = parse_ok("ses/event-complaint.json");
    REQUIRE(ev.size() == 1);
    CHECK(ev[0].type == event_type::complaint);
    CHECK(ev[0].timestamp == ms("2017-08-05T00:41:02.669Z"));
    const auto* c = ev[0].get<complaint_info>();
    REQUIRE(c);
    CHECK(c->feedback_type == "abuse");
    CHECK(c->user_agent.rfind("Mozilla/5.0 (Windows NT 10.0", 0) == 0);
  }
  SECTION("Delivery") {
    auto ev = parse_ok("ses/event-delivery.json");
    REQUIRE(ev.size() == 1);
    CHECK(ev[0].type == event_type::delivery);
    CHECK(ev[0].timestamp == ms("2016-10-19T23:21:04.133Z"));
    const auto* d = ev[0].get<delivery_info>();
    REQUIRE(d);
    CHECK(d->processing_time_millis == 11893);
    CHECK(d->smtp_response == "250 2.6.0 Message received");
    CHECK(d->reporting_mta == "mta.example.com");
    CHECK(d->remote_mta_ip == "123.456.789.012");
    CHECK(ev[0].tags.size() == 7);
  }
  SECTION("Send: mail.timestamp is the event's time") {
    auto ev = parse_ok("ses/event-send.json");
    REQUIRE(ev.size() == 1);
    CHECK(ev[0].type == event_type::send);
    CHECK(ev[0].timestamp == ms("2016-10-14T05:02:16.645Z"));
    CHECK(std::holds_alternative<std::monostate>(ev[0].details));
  }
  SECTION("Reject") {
    auto ev = parse_ok("ses/event-reject.json");
    REQUIRE(ev.size() == 1);
    CHECK(ev[0].type == event_type::reject);
    CHECK(ev[0].recipient == "sender@example.com");  // mail.destination, as AWS's example has it
    CHECK(ev[0].timestamp == ms("2016-10-14T17:38:15.211Z"));
    REQUIRE(ev[0].get<reject_info>());
    CHECK(ev[0].get<reject_info>()->reason == "Bad content");
  }
  SECTION("Open") {
    auto ev = parse_ok("ses/event-open.json");
    REQUIRE(ev.size() == 1);
    CHECK(ev[0].type == event_type::open);
    CHECK(ev[0].timestamp == ms("2017-08-09T22:00:19.652Z"));
    const auto* o = ev[0].get<open_info>();
    REQUIRE(o);
    CHECK(o->ip_address == "192.0.2.1");
    CHECK_FALSE(o->machine);  // an iPhone's own user agent, not Apple's proxy
  }
  SECTION("Click") {
    auto ev = parse_ok("ses/event-click.json");
    REQUIRE(ev.size() == 1);
    CHECK(ev[0].type == event_type::click);
    CHECK(ev[0].timestamp == ms("2017-08-09T23:51:25.570Z"));
    const auto* c = ev[0].get<click_info>();
    REQUIRE(c);
    CHECK(c->link == "http://docs.aws.amazon.com/ses/latest/DeveloperGuide/send-email-smtp.html");
    REQUIRE(c->link_tags.size() == 2);
    CHECK(c->link_tags[0].first == "samplekey0");
    CHECK(c->link_tags[0].second == std::vector<std::string>{"samplevalue0"});
    CHECK_FALSE(c->machine);  // 80 s after sending, by a desktop Chrome
  }
  SECTION("Rendering Failure") {
    auto ev = parse_ok("ses/event-rendering-failure.json");
    REQUIRE(ev.size() == 1);
    CHECK(ev[0].type == event_type::rendering_failure);
    CHECK(ev[0].timestamp == ms("2018-01-22T18:43:06.197Z"));
    const auto* f = ev[0].get<failure_info>();
    REQUIRE(f);
    CHECK(f->template_name == "MyTemplate");
    CHECK(f->error_message == "Attribute 'attributeName' is not present in the rendering data.");
  }
  SECTION("DeliveryDelay") {
    auto ev = parse_ok("ses/event-delivery-delay.json");
    REQUIRE(ev.size() == 1);
    CHECK(ev[0].type == event_type::delivery_delay);
    CHECK(ev[0].timestamp == ms("2020-06-16T00:25:40.095Z"));
    const auto* d = ev[0].get<delay_info>();
    REQUIRE(d);
    CHECK(d->type == "TransientCommunicationFailure");
    CHECK(d->expiration_time == ms("2020-06-16T00:25:40.914Z"));
    CHECK(d->status == "4.4.1");
    CHECK(d->diagnostic_code == "smtp; 421 4.4.1 Unable to connect to remote host");
  }
  SECTION("Subscription") {
    auto ev = parse_ok("ses/event-subscription.json");
    REQUIRE(ev.size() == 1);
    CHECK(ev[0].type == event_type::subscription);
    CHECK(ev[0].timestamp == ms("2022-01-12T01:00:17.910Z"));
    const auto* s = ev[0].get<subscription_info>();
    REQUIRE(s);
    CHECK(s->contact_list == "ContactListName");
    CHECK(s->source == "UnsubscribeHeader");
    CHECK(
        s->new_topic_preferences ==
        R"({"unsubscribeAll":true,"topicSubscriptionStatus":[{"topicName":"ExampleTopicName","subscriptionStatus":"OptOut"}]})");
    CHECK(s->old_topic_preferences.find(R"("unsubscribeAll":false)") != std::string::npos);
  }
}

TEST_CASE("SES classic notifications", "[parse]") {
  SECTION("bounce with a DSN: only the bounced recipient, display names stripped") {
    auto ev = parse_ok("ses/notification-bounce-dsn.json");
    REQUIRE(ev.size() == 1);
    CHECK(ev[0].recipient == "jane@example.com");
    CHECK(ev[0].subject == "Hello");
    CHECK(ev[0].configuration_set.empty());
    CHECK(ev[0].get<bounce_info>()->cls == bounce_class::hard);
  }
  SECTION("bounce without a DSN: one event per bounced recipient, never for mary") {
    auto ev = parse_ok("ses/notification-bounce-no-dsn.json");
    REQUIRE(ev.size() == 2);
    CHECK(ev[0].recipient == "jane@example.com");
    CHECK(ev[1].recipient == "richard@example.com");
    CHECK(ev[0].get<bounce_info>()->status.empty());
    CHECK(ev[0].get<bounce_info>()->cls == bounce_class::hard);
  }
  SECTION("complaints") {
    auto ev = parse_ok("ses/notification-complaint-feedback.json");
    REQUIRE(ev.size() == 1);
    CHECK(ev[0].recipient == "richard@example.com");
    CHECK(ev[0].get<complaint_info>()->user_agent == "AnyCompany Feedback Loop (V0.01)");
    auto ev2 = parse_ok("ses/notification-complaint-no-feedback.json");
    REQUIRE(ev2.size() == 1);
    CHECK(ev2[0].get<complaint_info>()->feedback_type.empty());
  }
  SECTION("delivery") {
    auto ev = parse_ok("ses/notification-delivery.json");
    REQUIRE(ev.size() == 1);
    CHECK(ev[0].recipient == "jane@example.com");
    CHECK(ev[0].get<delivery_info>()->processing_time_millis == 546);
  }
  SECTION("AmazonSnsSubscriptionSucceeded is a handshake: no events, no error") {
    CHECK(parse_ok("ses/notification-subscription-succeeded.json").empty());
    auto b = parse_batch(fixture("sns/notification-subscription-succeeded.json"));
    CHECK(b.events.empty());
    CHECK(b.diagnostics.empty());
    CHECK(b.skipped == 1);
  }
}

TEST_CASE("every carrier yields the same events as the bare record", "[parse]") {
  const char* names[] = {"event-bounce.json",         "event-complaint.json",
                         "event-delivery.json",       "event-send.json",
                         "event-reject.json",         "event-open.json",
                         "event-click.json",          "event-rendering-failure.json",
                         "event-delivery-delay.json", "event-subscription.json"};
  for (const char* name : names) {
    const auto bare = parse_ok(std::string("ses/") + name);
    for (const char* shape : {"sns", "eventbridge"}) {
      INFO(shape << "/" << name);
      const auto wrapped = parse_ok(std::string(shape) + "/" + name);
      REQUIRE(wrapped.size() == bare.size());
      for (std::size_t i = 0; i < bare.size(); ++i) {
        CHECK(wrapped[i].type == bare[i].type);
        CHECK(wrapped[i].message_id == bare[i].message_id);
        CHECK(wrapped[i].recipient == bare[i].recipient);
        CHECK(wrapped[i].timestamp == bare[i].timestamp);
        // Everything but the carrier must match, details included.
        auto a = to_json(wrapped[i]);
        auto b = to_json(bare[i]);
        a.erase("source");
        b.erase("source");
        CHECK(boost::json::serialize(a) == boost::json::serialize(b));
        CHECK(wrapped[i].configuration_set == "ConfigSet");
        CHECK(wrapped[i].source.shape == shape);
      }
    }
  }
  SECTION("SNS keeps its MessageId for deduplication") {
    auto ev = parse_ok("sns/event-bounce.json");
    REQUIRE(ev.size() == 1);
    CHECK(ev[0].source.sns_message_id == "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf302");
  }
  SECTION("SQS message holding an SNS envelope") {
    auto ev = parse_ok("sqs/message-sns-bounce.json");
    REQUIRE(ev.size() == 1);
    CHECK(ev[0].type == event_type::bounce);
    CHECK(ev[0].source.shape == "sqs");
    CHECK(ev[0].source.sns_message_id == "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf302");
  }
  SECTION("SQS ReceiveMessage response: EventBridge and SNS bodies") {
    auto ev = parse_ok("sqs/receive-message.json");
    REQUIRE(ev.size() == 2);
    CHECK(ev[0].type == event_type::delivery);
    CHECK(ev[0].source.sns_message_id.empty());
    CHECK(ev[1].type == event_type::bounce);
    CHECK(ev[0].source.shape == "sqs");
  }
  SECTION("Lambda records from SNS and from SQS") {
    auto sns = parse_ok("lambda/sns-event.json");
    REQUIRE(sns.size() == 1);
    CHECK(sns[0].type == event_type::complaint);
    CHECK(sns[0].source.shape == "lambda-sns");
    CHECK(sns[0].source.sns_message_id == "95df01b4-ee98-5cb9-9903-4c221d41eb5e");
    auto sqs = parse_ok("lambda/sqs-event.json");
    REQUIRE(sqs.size() == 2);
    CHECK(sqs[0].type == event_type::open);
    CHECK(sqs[0].source.shape == "lambda-sqs");
    CHECK(sqs[0].source.sns_message_id == "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf304");
    CHECK(sqs[1].type == event_type::click);
  }
  SECTION(
      "SQS body holding a raw SES record (raw message delivery); Lambda records of other sources") {
    boost::json::object sqs{{"MessageId", "q-1"}, {"Body", fixture("ses/event-reject.json")}};
    auto r = parse_document(boost::json::serialize(sqs));
    REQUIRE(r.has_value());
    REQUIRE(r->size() == 1);
    CHECK((*r)[0].type == event_type::reject);
    CHECK((*r)[0].source.shape == "sqs");
    auto s3 = parse_batch(R"({"Records":[{"eventSource":"aws:s3","s3":{}}]})");
    REQUIRE(s3.diagnostics.size() == 1);
    CHECK(s3.diagnostics[0].err.code == errc::unknown_shape);
    CHECK(s3.diagnostics[0].path == "Records[0]");
  }
  SECTION("EventBridge: configuration set from resources when the record has no tags") {
    auto r = parse_document(
        R"({"detail-type":"Email Sent","source":"aws.ses","resources":["arn:aws:ses:eu-west-1:1:configuration-set/Marketing"],
            "detail":{"eventType":"Send","mail":{"messageId":"m","timestamp":"2024-01-01T00:00:00Z","destination":["a@b.c"]},"send":{}}})");
    REQUIRE(r.has_value());
    REQUIRE(r->size() == 1);
    CHECK((*r)[0].configuration_set == "Marketing");
  }
  SECTION("parse_value on an already parsed document") {
    boost::system::error_code ec;
    const boost::json::value v = boost::json::parse(fixture("sns/event-delivery.json"), ec);
    REQUIRE_FALSE(ec);
    auto r = parse_value(v);
    REQUIRE(r.has_value());
    REQUIRE(r->size() == 1);
    CHECK((*r)[0].type == event_type::delivery);
    CHECK(parse_value(boost::json::value(42)).error().code == errc::not_an_object);
  }
  SECTION("EventBridge without eventType in detail falls back to detail-type") {
    auto r = parse_document(
        R"({"version":"0","detail-type":"Email Delivered","source":"aws.ses","resources":[],
            "detail":{"mail":{"messageId":"m","timestamp":"2024-01-01T00:00:00Z","destination":["a@b.c"]},
                      "delivery":{"timestamp":"2024-01-01T00:00:02Z","recipients":["a@b.c"]}}})");
    REQUIRE(r.has_value());
    REQUIRE(r->size() == 1);
    CHECK((*r)[0].type == event_type::delivery);
    CHECK((*r)[0].timestamp == ms("2024-01-01T00:00:02Z"));
  }
}

TEST_CASE("recipients: per-type lists, destinations, normalization", "[parse]") {
  SECTION("send to several destinations: one event each, lower-cased, display name stripped") {
    auto ev = parse_ok("derived/send-multi-destination.json");
    REQUIRE(ev.size() == 3);
    CHECK(ev[0].recipient == "ann@example.com");
    CHECK(ev[1].recipient == "bob@example.org");
    CHECK(ev[2].recipient == "carol@corp.example");
    for (const auto& e : ev) CHECK(e.destinations.empty());
  }
  SECTION("open of a mail with several destinations: one event, recipient null") {
    auto ev = parse_ok("derived/open-multi-destination-apple-mpp.json");
    REQUIRE(ev.size() == 1);
    CHECK_FALSE(ev[0].recipient.has_value());
    CHECK(ev[0].destinations == std::vector<std::string>{"ann@example.com", "bob@example.org"});
    CHECK(ev[0].get<open_info>()->machine);
    CHECK(ev[0].get<open_info>()->machine_reason == "apple-mpp");
  }
  SECTION("address normalization") {
    CHECK(detail::normalize_address("Jane <Jane@X.com>") == "jane@x.com");
    CHECK(detail::normalize_address("\"Doe, Jane <x>\" <JANE@example.COM>") == "jane@example.com");
    CHECK(detail::normalize_address("  plain@Example.com ") == "plain@example.com");
  }
}

TEST_CASE("SNS envelopes", "[parse]") {
  SECTION("SubscriptionConfirmation is exposed for the endpoint and is not an event") {
    const std::string text = fixture("sns/subscription-confirmation.json");
    auto env = parse_sns_envelope(text);
    REQUIRE(env.has_value());
    CHECK(env->type == "SubscriptionConfirmation");
    CHECK(env->message_id == "165545c9-2a5c-472c-8df2-7ff2be2b3b1b");
    CHECK(env->topic_arn == "arn:aws:sns:us-west-2:123456789012:MyTopic");
    CHECK(env->subscribe_url.rfind(
              "https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription", 0) == 0);
    CHECK(env->signature_version == "1");
    CHECK(env->signing_cert_url.find("SimpleNotificationService-") != std::string::npos);
    CHECK(env->token.size() > 100);
    CHECK_FALSE(env->subject.has_value());
    auto events = parse_document(text);
    REQUIRE(events.has_value());
    CHECK(events->empty());
  }
  SECTION("Notification") {
    auto env = parse_sns_envelope(fixture("sns/event-open.json"));
    REQUIRE(env.has_value());
    CHECK(env->type == "Notification");
    CHECK(env->message.rfind("{\"eventType\":\"Open\"", 0) == 0);
    CHECK(env->unsubscribe_url.find("Action=Unsubscribe") != std::string::npos);
  }
  SECTION("Lambda spelling SigningCertUrl, Subject null") {
    auto env = parse_sns_envelope(
        R"({"Type":"Notification","MessageId":"1","TopicArn":"t","Message":"{}","Subject":null,"SigningCertUrl":"https://x/c.pem"})");
    REQUIRE(env.has_value());
    CHECK(env->signing_cert_url == "https://x/c.pem");
    CHECK_FALSE(env->subject.has_value());
  }
  SECTION("errors") {
    CHECK(parse_sns_envelope("[]").error().code == errc::not_an_object);
    CHECK(parse_sns_envelope(R"({"Type":"Nope","MessageId":"1","TopicArn":"t","Message":""})")
              .error()
              .code == errc::bad_value);
    CHECK(
        parse_sns_envelope(R"({"Type":"Notification","TopicArn":"t","Message":""})").error().code ==
        errc::missing_field);
    CHECK(parse_sns_envelope(
              R"({"Type":"SubscriptionConfirmation","MessageId":"1","TopicArn":"t","Message":""})")
              .error()
              .code == errc::missing_field);
    CHECK(parse_sns_envelope("{").error().code == errc::bad_json);
  }
}

TEST_CASE("only an SNS envelope's Message is read, never fields beside it", "[parse]") {
  const std::string text = fixture("sns/event-delivery.json");
  auto env = parse_sns_envelope(text);
  REQUIRE(env.has_value());
  CHECK(env->unsigned_event_field.empty());
  // What the endpoint stores: the Message's events, as parse_document reads the whole envelope.
  const auto from_message = parse_sns_message(*env);
  REQUIRE(from_message.diagnostics.empty());
  auto whole = parse_document(text);
  REQUIRE(whole.has_value());
  REQUIRE(from_message.events.size() == whole->size());
  for (std::size_t i = 0; i < whole->size(); ++i) {
    CHECK(to_json(from_message.events[i]) == to_json((*whole)[i]));
    CHECK(from_message.events[i].source.shape == "sns");
    CHECK(from_message.events[i].source.sns_message_id == env->message_id);
  }

  // A forged bounce beside the envelope: the envelope names the field, every parser refuses it.
  auto forged = boost::json::parse(text).as_object();
  const auto bounce = boost::json::parse(fixture("ses/event-bounce.json"));
  for (const auto& kv : bounce.as_object()) forged[kv.key()] = kv.value();
  const auto forged_text = boost::json::serialize(forged);
  auto forged_env = parse_sns_envelope(forged_text);
  REQUIRE(forged_env.has_value());
  CHECK_FALSE(forged_env->unsigned_event_field.empty());
  // The Message alone still gives the delivery, never the bounce.
  const auto signed_part = parse_sns_message(*forged_env);
  REQUIRE(signed_part.events.size() == whole->size());
  CHECK(signed_part.events[0].type == event_type::delivery);
  // Read as a document (import, SQS bodies, Lambda records): refused as a whole.
  auto doc = parse_document(forged_text);
  REQUIRE_FALSE(doc.has_value());
  CHECK(doc.error().code == errc::unknown_shape);
  for (const char* field : {"eventType", "notificationType", "mail", "bounce", "Records", "Body"}) {
    INFO(field);
    auto one = boost::json::parse(text).as_object();
    one[field] = boost::json::object{};
    const auto one_text = boost::json::serialize(one);
    CHECK(parse_sns_envelope(one_text)->unsigned_event_field == field);
    CHECK_FALSE(parse_document(one_text).has_value());
  }
  // SNS's own optional fields are no event fields.
  auto attrs = boost::json::parse(text).as_object();
  attrs["MessageAttributes"] = boost::json::object{{"a", boost::json::object{{"Type", "String"}}}};
  CHECK(parse_sns_envelope(boost::json::serialize(attrs))->unsigned_event_field.empty());
  CHECK(parse_document(boost::json::serialize(attrs)).has_value());

  SECTION("a Message that is not an event is a diagnostic at Message") {
    auto e = *env;
    e.message = "{\"not\":\"ses\"}";
    const auto r = parse_sns_message(e);
    REQUIRE(r.diagnostics.size() == 1);
    CHECK(r.diagnostics[0].err.code == errc::unknown_shape);
    CHECK(r.diagnostics[0].path == "Message");
    e.message = "{";
    CHECK(parse_sns_message(e).diagnostics.at(0).err.code == errc::bad_json);
  }
  SECTION("confirmations carry no events") {
    auto c = parse_sns_envelope(fixture("sns/subscription-confirmation.json"));
    REQUIRE(c.has_value());
    const auto r = parse_sns_message(*c);
    CHECK(r.events.empty());
    CHECK(r.diagnostics.empty());
    CHECK(r.skipped == 1);
  }
}

TEST_CASE("unknown event types are kept with the raw document", "[parse]") {
  const std::string text = fixture("derived/unknown-event-type.json");
  auto ev = parse_document(text);
  REQUIRE(ev.has_value());
  REQUIRE(ev->size() == 1);
  const event& e = (*ev)[0];
  CHECK(e.type == event_type::unknown);
  CHECK(e.message_id == "0100018df4c1a2b9-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee-000000");
  CHECK(e.raw == detail::trim(text));
  CHECK(e.timestamp == ms("2024-03-01T10:00:00.000Z"));
  SECTION("inside an SNS envelope the raw document is the Message") {
    auto r = parse_document(
        R"({"Type":"Notification","MessageId":"x","TopicArn":"t","Message":"{\"eventType\":\"New\"}"})");
    REQUIRE(r.has_value());
    REQUIRE(r->size() == 1);
    CHECK((*r)[0].raw == R"({"eventType":"New"})");
    CHECK((*r)[0].source.sns_message_id == "x");
  }
  SECTION("other aws.ses EventBridge events") {
    auto r = parse_document(
        R"({"detail-type":"Sending Status Disabled","source":"aws.ses","detail":{"x":1}})");
    REQUIRE(r.has_value());
    REQUIRE(r->size() == 1);
    CHECK((*r)[0].type == event_type::unknown);
  }
}

TEST_CASE("malformed documents are errors that say why", "[parse]") {
  auto code = [](const std::string& rel) { return parse_document(fixture(rel)).error().code; };
  CHECK(code("malformed/truncated.json") == errc::bad_json);
  CHECK(code("malformed/not-json.txt") == errc::bad_json);
  CHECK(code("malformed/not-an-object.json") == errc::not_an_object);
  CHECK(code("malformed/missing-mail.json") == errc::missing_field);
  CHECK(code("malformed/missing-message-id.json") == errc::missing_field);
  CHECK(code("malformed/bad-timestamp.json") == errc::bad_timestamp);
  CHECK(code("malformed/deep-nesting.json") == errc::too_deep);
  CHECK(code("malformed/sns-message-not-json.json") == errc::bad_json);
  CHECK(code("malformed/eventbridge-detail-not-object.json") == errc::wrong_type);
  CHECK(code("malformed/unknown-shape.json") == errc::unknown_shape);
  CHECK(code("malformed/bounce-recipient-without-address.json") == errc::missing_field);
  SECTION("the message names the field and the carrier path") {
    auto r = parse_document(fixture("malformed/sns-message-not-json.json"));
    CHECK(r.error().message.rfind("Message: ", 0) == 0);
    auto b = parse_document(fixture("malformed/bad-timestamp.json"));
    CHECK(b.error().message.find("delivery.timestamp") != std::string::npos);
  }
  SECTION("timestamps outside 1970..9999 are rejected, not wrapped") {
    auto r = parse_document(
        R"({"eventType":"Send","mail":{"messageId":"m","timestamp":"0000-01-01T00:00:00+01:00","destination":["a@b.c"]}})");
    CHECK(r.error().code == errc::bad_timestamp);
  }
  SECTION("document size limit") {
    parse_options opt;
    opt.max_document = 10;
    CHECK(parse_document(fixture("ses/event-send.json"), opt).error().code == errc::too_large);
  }
  SECTION("carriers nested in a loop stop") {
    std::string doc =
        R"({"eventType":"Send","mail":{"messageId":"m","timestamp":"2024-01-01T00:00:00Z","destination":["a@b.c"]}})";
    for (int i = 0; i < 12; ++i) {
      boost::json::object o{{"Body", doc}};
      doc = boost::json::serialize(o);
    }
    CHECK(parse_document(doc).error().code == errc::too_deep);
  }
}

TEST_CASE("batches: one bad item never stops the rest", "[parse]") {
  SECTION("JSON Lines with mixed shapes") {
    auto b = parse_batch(fixture("batch/mixed.jsonl"));
    CHECK(b.documents == 8);  // the blank line is not an item
    CHECK(b.skipped == 1);    // the SubscriptionConfirmation
    REQUIRE(b.events.size() == 6);
    CHECK(b.events[0].type == event_type::send);
    CHECK(b.events[1].type == event_type::bounce);
    CHECK(b.events[1].source.shape == "sns");
    CHECK(b.events[2].type == event_type::delivery);
    CHECK(b.events[2].source.shape == "eventbridge");
    CHECK(b.events[3].type == event_type::unknown);
    CHECK(b.events[4].type == event_type::open);
    CHECK(b.events[5].type == event_type::click);
    REQUIRE(b.diagnostics.size() == 2);
    CHECK(b.diagnostics[0].line == 5);
    CHECK(b.diagnostics[0].err.code == errc::bad_json);
    CHECK_FALSE(b.diagnostics[0].index.has_value());
    CHECK(b.diagnostics[1].line == 8);
    CHECK(b.diagnostics[1].err.code == errc::missing_field);
  }
  SECTION("a JSON array of documents: diagnostics carry the index") {
    auto b = parse_batch(fixture("batch/array.json"));
    CHECK(b.documents == 5);
    REQUIRE(b.events.size() == 3);
    CHECK(b.events[0].type == event_type::open);
    CHECK(b.events[1].type == event_type::click);
    CHECK(b.events[2].type == event_type::delivery);
    REQUIRE(b.diagnostics.size() == 2);
    CHECK(b.diagnostics[0].index == 2u);
    CHECK(b.diagnostics[0].err.code == errc::not_an_object);
    CHECK(b.diagnostics[1].index == 4u);
    CHECK(b.diagnostics[1].err.code == errc::bad_timestamp);
  }
  SECTION("a pretty-printed single document") {
    auto b = parse_batch(fixture("ses/event-bounce.json"));
    CHECK(b.documents == 1);
    CHECK(b.events.size() == 1);
    CHECK(b.diagnostics.empty());
  }
  SECTION("a broken pretty-printed document is one diagnostic at the line where it broke") {
    std::string text = fixture("ses/event-delivery.json");
    text.resize(text.find("\"delivery\": {"));  // cut inside, after line 70
    auto b = parse_batch(text);
    REQUIRE(b.diagnostics.size() == 1);
    CHECK(b.diagnostics[0].err.code == errc::bad_json);
    CHECK(b.diagnostics[0].line > 60);
  }
  SECTION("a good record kept next to a bad recipient entry") {
    auto b = parse_batch(fixture("malformed/bounce-recipient-without-address.json"));
    REQUIRE(b.events.size() == 1);
    CHECK(b.events[0].recipient == "good@example.com");
    REQUIRE(b.diagnostics.size() == 1);
    CHECK(b.diagnostics[0].path == "bounce.bouncedRecipients[1]");
  }
  SECTION("JSON Lines whose last line is cut off, CRLF line ends, a byte order mark") {
    auto b = parse_batch(fixture("malformed/jsonl-truncated-last-line.jsonl"));
    CHECK(b.events.size() == 1);
    REQUIRE(b.diagnostics.size() == 1);
    CHECK(b.diagnostics[0].line == 2);
    std::string crlf = "\xEF\xBB\xBF" + fixture("batch/mixed.jsonl");
    for (std::size_t p = 0; (p = crlf.find('\n', p)) != std::string::npos; p += 2)
      crlf.insert(p, "\r");
    auto c = parse_batch(crlf);
    CHECK(c.events.size() == 6);
    CHECK(c.diagnostics.size() == 2);
  }
  SECTION("JSON Lines whose first line is bad") {
    auto b = parse_batch("{\"eventType\":\n" + fixture("batch/mixed.jsonl"));
    CHECK(b.events.size() == 6);
    REQUIRE(b.diagnostics.size() == 3);
    CHECK(b.diagnostics[0].line == 1);
    CHECK(b.diagnostics[1].line == 6);  // the mixed file's line 5, one line further down
  }
  SECTION("empty input is nothing, not an error") {
    auto b = parse_batch(" \n\n");
    CHECK(b.documents == 0);
    CHECK(b.events.empty());
    CHECK(b.diagnostics.empty());
  }
  SECTION("results accumulate over several inputs") {
    batch_result r;
    parse_batch(fixture("ses/event-send.json"), r);
    parse_batch(fixture("ses/event-open.json"), r);
    CHECK(r.events.size() == 2);
    CHECK(r.documents == 2);
  }
}

namespace {
// A bounce record of `n` recipients (each also in mail.destination), its mail shaped by `edit`.
template <class Edit>
std::string bounce_of(std::size_t n, Edit&& edit) {
  boost::json::array dest, rcpts;
  for (std::size_t i = 0; i < n; ++i) {
    const std::string a = "u" + std::to_string(i) + "@example.com";
    dest.emplace_back(a);
    rcpts.emplace_back(boost::json::object{{"emailAddress", a}});
  }
  boost::json::object mail{{"timestamp", "2026-03-01T10:00:00.000Z"},
                           {"messageId", "m-1"},
                           {"source", "news@example.com"},
                           {"destination", std::move(dest)},
                           {"tags", {{"campaign", boost::json::array{"spring"}}}}};
  boost::json::object rec{{"eventType", "Bounce"},
                          {"bounce",
                           {{"bounceType", "Permanent"},
                            {"bounceSubType", "General"},
                            {"timestamp", "2026-03-01T10:00:01.000Z"},
                            {"bouncedRecipients", std::move(rcpts)}}}};
  edit(mail, rec);
  rec["mail"] = std::move(mail);
  return boost::json::serialize(rec);
}
auto no_edit = [](boost::json::object&, boost::json::object&) {};
}  // namespace

TEST_CASE("one record's events share its tags and copy no destination list", "[parse][limits]") {
  auto ev = parse_document(bounce_of(300, no_edit));
  REQUIRE(ev.has_value());
  REQUIRE(ev->size() == 300);
  for (const auto& e : *ev) {
    CHECK(e.destinations.empty());
    CHECK(&e.tags.get() == &ev->front().tags.get());  // one list, not 300 copies
  }
  CHECK(ev->back().tags[0].first == "campaign");
  // Writing one event's tags copies them first: the others keep theirs.
  event changed = (*ev)[1];
  changed.tags.push_back({"extra", {"x"}});
  CHECK(changed.tags.size() == 2);
  CHECK((*ev)[1].tags.size() == 1);
  // The JSON of each event still carries the tags whole.
  CHECK(to_json(ev->back()).at("tags").at("campaign").at(0) == "spring");
}

TEST_CASE("past the documented limits a document is refused with limit_exceeded",
          "[parse][limits]") {
  const parse_limits lim;
  auto refused = [](const std::string& doc) {
    auto r = parse_document(doc);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == errc::limit_exceeded);
    CHECK(r.error().id() == "sesami.limit_exceeded");
  };
  SECTION("recipients and destinations") {
    CHECK(parse_document(bounce_of(lim.recipients, no_edit)).has_value());
    refused(bounce_of(lim.recipients + 1, no_edit));
    refused(bounce_of(1, [&](boost::json::object& mail, boost::json::object&) {
      boost::json::array d;
      for (std::size_t i = 0; i <= lim.destinations; ++i) d.emplace_back("d@x.com");
      mail["destination"] = std::move(d);
    }));
  }
  SECTION("tags: how many, how long") {
    auto with_tags = [](boost::json::object tags) {
      return bounce_of(2, [&](boost::json::object& mail, boost::json::object&) {
        mail["tags"] = std::move(tags);
      });
    };
    boost::json::object many;
    for (std::size_t i = 0; i < lim.tags; ++i) many["t" + std::to_string(i)] = {"v"};
    CHECK(parse_document(with_tags(many)).has_value());
    many["one-more"] = {"v"};
    refused(with_tags(many));
    const std::string longest(lim.tag_length, 'x'), too_long(lim.tag_length + 1, 'x');
    CHECK(parse_document(with_tags({{longest, {longest}}})).has_value());
    refused(with_tags({{too_long, {"v"}}}));
    refused(with_tags({{"campaign", {too_long}}}));
    refused(with_tags({{"campaign", boost::json::array(lim.tags + 1, "v")}}));
  }
  SECTION("the text every recipient's event repeats, times the recipients") {
    // 2 000 recipients repeating a 10 000-character subject: 20 MB of copies from a 70 KB record.
    const std::string subject(10'000, 's');
    refused(bounce_of(2000, [&](boost::json::object& mail, boost::json::object&) {
      mail["commonHeaders"] = {{"subject", subject}};
    }));
    // The same subject on a few recipients is fine.
    CHECK(parse_document(bounce_of(50, [&](boost::json::object& mail, boost::json::object&) {
            mail["commonHeaders"] = {{"subject", subject}};
          })).has_value());
  }
  SECTION("in a batch, only the document past a limit is rejected") {
    const std::string lines =
        bounce_of(1, no_edit) + "\n" + bounce_of(lim.recipients + 1, no_edit) + "\n";
    const auto b = parse_batch(lines);
    CHECK(b.events.size() == 1);
    REQUIRE(b.diagnostics.size() == 1);
    CHECK(b.diagnostics[0].line == 2);
    CHECK(b.diagnostics[0].err.code == errc::limit_exceeded);
  }
}
