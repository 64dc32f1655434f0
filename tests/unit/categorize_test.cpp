#include <sesami/categorize.hpp>

#include <catch2/catch.hpp>

using namespace sesami;

TEST_CASE("enhanced status codes are found in diagnostic text", "[categorize]") {
  CHECK(find_enhanced_status("smtp; 550 5.1.1 user unknown") == enhanced_status{5, 1, 1});
  CHECK(find_enhanced_status("smtp; 421 4.4.1 Unable to connect") == enhanced_status{4, 4, 1});
  CHECK(
      find_enhanced_status("550-5.1.1 The email account that you tried to reach does not exist") ==
      enhanced_status{5, 1, 1});
  CHECK(find_enhanced_status("5.7.133 RESOLVER.RST.SenderNotAuthenticatedForGroup") ==
        enhanced_status{5, 7, 133});
  // Pieces of IP addresses and version numbers are not status codes.
  CHECK_FALSE(find_enhanced_status("remote host 127.0.2.0 said no").has_value());
  CHECK_FALSE(find_enhanced_status("Postfix 3.5.1.2").has_value());
  CHECK_FALSE(find_enhanced_status("550 user unknown").has_value());
  CHECK_FALSE(find_enhanced_status("").has_value());
}

TEST_CASE("bounce classification table", "[categorize]") {
  struct row {
    const char* type;
    const char* sub_type;
    const char* status;
    const char* diagnostic;
    bounce_class expected;
  };
  const row rows[] = {
      // SES's own suppression lists.
      {"Permanent", "OnAccountSuppressionList", "5.1.1", "Amazon SES did not send the message",
       bounce_class::suppressed},
      {"Permanent", "Suppressed", "", "", bounce_class::suppressed},
      // Permanent is hard...
      {"Permanent", "General", "5.1.1", "smtp; 550 5.1.1 user unknown", bounce_class::hard},
      {"Permanent", "NoEmail", "", "", bounce_class::hard},
      // ...unless the "bounce" is an auto-reply.
      {"Permanent", "General", "", "Automatic reply: Out of Office", bounce_class::soft},
      // Transient with a permanent address failure is hard (SES labels 5.4.4 Transient).
      {"Transient", "General", "5.4.4", "smtp; 550 5.4.4 Invalid domain", bounce_class::hard},
      {"Transient", "General", "", "smtp; 550 5.1.1 <x@example.com>... User unknown",
       bounce_class::hard},
      {"Transient", "General", "5.1.10", "", bounce_class::hard},
      // Transient otherwise soft: 4.x.x, mailbox full (X.2.2), size (X.3.4), policy (X.7.x).
      {"Transient", "General", "4.4.7", "smtp; 421 4.4.7 timeout", bounce_class::soft},
      {"Transient", "MailboxFull", "5.2.2", "smtp; 552 5.2.2 Mailbox full", bounce_class::soft},
      {"Transient", "MessageTooLarge", "5.3.4", "smtp; 552 5.3.4 Message too big",
       bounce_class::soft},
      {"Transient", "ContentRejected", "5.7.1", "smtp; 550 5.7.1 Message rejected as spam",
       bounce_class::soft},
      {"Transient", "General", "", "", bounce_class::soft},
      {"Transient", "General", "5.1.1", "Out of office: back on Monday", bounce_class::soft},
      // Undetermined: undetermined unless the code proves the address bad; never for auto-replies.
      {"Undetermined", "Undetermined", "", "", bounce_class::undetermined},
      {"Undetermined", "Undetermined", "5.1.1", "", bounce_class::hard},
      {"Undetermined", "Undetermined", "", "smtp; 550 5.1.1 no such user", bounce_class::hard},
      {"Undetermined", "Undetermined", "5.1.1", "I am on vacation", bounce_class::undetermined},
      {"Undetermined", "Undetermined", "4.2.2", "", bounce_class::undetermined},
  };
  for (const row& r : rows) {
    INFO(r.type << " / " << r.sub_type << " / " << r.status << " / " << r.diagnostic);
    CHECK(classify_bounce(r.type, r.sub_type, r.status, r.diagnostic) == r.expected);
  }
  bounce_info b;
  b.type = "Transient";
  b.status = "5.4.4";
  CHECK(classify_bounce(b) == bounce_class::hard);
}

TEST_CASE("machine opens", "[categorize]") {
  CHECK(classify_open("Mozilla/5.0").reason == "apple-mpp");
  CHECK(classify_open("Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com "
                      "GoogleImageProxy)")
            .reason == "google-image-proxy");
  CHECK(classify_open("YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html")
            .reason == "yahoo-image-proxy");
  const auto human = classify_open(
      "Mozilla/5.0 (iPhone; CPU iPhone OS 10_3_3 like Mac OS X) AppleWebKit/603.3.8 (KHTML, like "
      "Gecko) Mobile/14G60");
  CHECK_FALSE(human.machine);
  CHECK(human.reason.empty());
}

TEST_CASE("machine clicks", "[categorize]") {
  const std::int64_t sent = 1'700'000'000'000;
  const char* chrome =
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
      "Chrome/120.0 Safari/537.36";
  CHECK_FALSE(classify_click(chrome, sent + 60'000, sent).machine);
  CHECK(classify_click(chrome, sent + 3'000, sent).reason == "too-fast");
  CHECK(classify_click(chrome, sent + machine_click_window_ms - 1, sent).machine);
  CHECK_FALSE(classify_click(chrome, sent + machine_click_window_ms, sent).machine);
  CHECK_FALSE(
      classify_click(chrome, sent + 3'000, 0).machine);  // send time unknown: no timing rule
  CHECK(classify_click("python-requests/2.31.0", sent + 600'000, sent).reason == "script");
  CHECK(classify_click("curl/8.4.0", sent + 600'000, sent).reason == "script");
  CHECK(classify_click("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/119.0",
                       sent + 600'000, sent)
            .reason == "headless-browser");
  CHECK(classify_click("Barracuda Sentinel (EE)", sent + 600'000, sent).reason ==
        "security-scanner");
  CHECK(classify_click("", sent + 600'000, sent).reason == "no-user-agent");
}

TEST_CASE("suppression reasons", "[categorize]") {
  event e;
  e.recipient = "a@example.com";
  e.type = event_type::bounce;
  bounce_info b;
  b.type = "Permanent";
  b.sub_type = "General";
  b.cls = bounce_class::hard;
  e.details = b;
  CHECK(suppression_reason(e) == "hard_bounce");
  b.cls = bounce_class::soft;
  e.details = b;
  CHECK_FALSE(suppression_reason(e).has_value());
  b.cls = bounce_class::suppressed;
  e.details = b;
  CHECK(suppression_reason(e) == "suppressed");
  b.cls = bounce_class::none;  // not yet classified: classified on the spot
  e.details = b;
  CHECK(suppression_reason(e) == "hard_bounce");

  e.type = event_type::complaint;
  e.details = complaint_info{"abuse", "", "", ""};
  CHECK(suppression_reason(e) == "complaint");
  e.details = complaint_info{"not-spam", "", "", ""};
  CHECK_FALSE(suppression_reason(e).has_value());
  CHECK(status_of(e) == delivery_status::complained);

  SECTION("never without a single recipient") {
    e.details = complaint_info{"abuse", "", "", ""};
    e.recipient.reset();
    e.destinations = {"a@example.com", "b@example.com"};
    CHECK_FALSE(suppression_reason(e).has_value());
  }
  SECTION("opens, deliveries do not suppress") {
    e.type = event_type::open;
    e.details = open_info{};
    CHECK_FALSE(suppression_reason(e).has_value());
  }
}
