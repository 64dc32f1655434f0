// The mailbox simulator: SES-shaped event-publishing records, fed to the normal ingestion path
// on a background thread. The record layout follows SES's "Examples of event data that Amazon SES
// publishes" (mail object with commonHeaders and tags; send/delivery/bounce/complaint/open/click).
#include "simulator.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <sesami/ascii.hpp>
#include <sesami/detail/iso8601.hpp>

#include "import.hpp"
#include "pipeline_health.hpp"

namespace sesami::app {
namespace json = boost::json;
namespace {

constexpr std::string_view sim_domain = "simulator.amazonses.com";

enum class behaviour { success, bounce, ooto, complaint, suppressed };

/// The address inside "Name <addr>", or the text itself.
std::string bare_address(std::string_view a) {
  const auto lt = a.rfind('<'), gt = a.rfind('>');
  if (lt != std::string_view::npos && gt != std::string_view::npos && gt > lt)
    return std::string(a.substr(lt + 1, gt - lt - 1));
  return std::string(a);
}

behaviour behaviour_of(std::string_view address) {
  const std::string a = ascii_lower(bare_address(address));
  const auto at = a.find('@');
  if (at == std::string::npos || std::string_view(a).substr(at + 1) != sim_domain)
    return behaviour::success;
  std::string_view local = std::string_view(a).substr(0, at);
  local = local.substr(0, local.find('+'));  // labels: bounce+label1@ acts like bounce@
  if (local == "bounce") return behaviour::bounce;
  if (local == "ooto") return behaviour::ooto;
  if (local == "complaint") return behaviour::complaint;
  if (local == "suppressionlist") return behaviour::suppressed;
  return behaviour::success;
}

std::string hex(std::uint64_t v, int digits) {
  static constexpr char h[] = "0123456789abcdef";
  std::string s(static_cast<std::size_t>(digits), '0');
  for (int i = digits - 1; i >= 0; --i, v >>= 4) s[static_cast<std::size_t>(i)] = h[v & 15];
  return s;
}
std::string uuid(std::mt19937_64& rng) {
  const std::uint64_t a = rng(), b = rng();
  return hex(a >> 32, 8) + "-" + hex((a >> 16) & 0xffff, 4) + "-" + hex(0x4000 | (a & 0x0fff), 4) +
         "-" + hex(0x8000 | ((b >> 48) & 0x3fff), 4) + "-" + hex(b & 0xffffffffffffULL, 12);
}

std::string iso(std::int64_t ms) { return sesami::detail::format_iso8601(ms); }

std::string subject_of_raw(std::string_view raw) {
  // The first "Subject:" header line of the MIME head (folded continuations ignored).
  std::size_t pos = 0;
  while (pos < raw.size()) {
    const auto eol = raw.find('\n', pos);
    std::string_view line = raw.substr(pos, eol == std::string_view::npos ? raw.npos : eol - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;  // end of the head
    if (line.size() > 8 && ascii_lower(line.substr(0, 8)) == "subject:") {
      line.remove_prefix(8);
      while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
      return std::string(line);
    }
    if (eol == std::string_view::npos) break;
    pos = eol + 1;
  }
  return {};
}

}  // namespace

std::string simulated_message_id(std::int64_t now_ms) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return "0100" + hex(static_cast<std::uint64_t>(now_ms), 12) + "-" + uuid(rng) + "-000000";
}

struct simulator::message {
  std::string id;
  std::int64_t sent_at = 0;
  std::string from;  // header value as given
  std::vector<std::string> to, destination;
  std::string subject;
  std::vector<mail_header> headers;
  std::vector<mail_tag> tags;
  std::string configuration_set;
};

simulator::simulator(store::store& s, simulator_options opt)
    : store_(s), opt_(std::move(opt)), rng_(std::random_device{}()) {
  worker_ = std::thread([this] { run(); });
}

simulator::~simulator() { stop(); }

void simulator::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !worker_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

std::uint64_t simulator::published() const {
  std::lock_guard lock(mu_);
  return published_;
}
std::uint64_t simulator::failed() const {
  std::lock_guard lock(mu_);
  return failed_;
}

send_error simulator::throttle_check() {
  std::lock_guard lock(mu_);
  if (calls_ < opt_.throttle_first) {
    ++calls_;
    return {send_errc::throttled, "TooManyRequestsException",
            "Maximum sending rate exceeded. (simulated)"};
  }
  return {send_errc::ok, "", ""};
}

send_result<std::string> simulator::send(std::string_view workspace, const outgoing_mail& mail) {
  if (auto e = throttle_check(); e.code != send_errc::ok) return e;
  message m;
  m.sent_at = now_ms();
  m.id = simulated_message_id(m.sent_at);
  m.from = mail.from;
  m.to = mail.to;
  for (const auto* list : {&mail.to, &mail.cc, &mail.bcc})
    for (const auto& a : *list) m.destination.push_back(bare_address(a));
  if (mail.simple)
    m.subject = mail.simple->subject;
  else if (mail.raw)
    m.subject = subject_of_raw(*mail.raw);
  else if (mail.tmpl)
    m.subject = "template " + mail.tmpl->name;  // SES renders the template's own subject
  m.headers = mail.headers;
  m.tags = mail.tags;
  m.configuration_set = mail.configuration_set;
  return accept(workspace, m);
}

send_result<std::vector<bulk_entry_result>> simulator::send_bulk(std::string_view workspace,
                                                                 const bulk_mail& mail) {
  if (auto e = throttle_check(); e.code != send_errc::ok) return e;
  std::vector<bulk_entry_result> out;
  for (const auto& d : mail.destinations) {
    message m;
    m.sent_at = now_ms();
    m.id = simulated_message_id(m.sent_at);
    m.from = mail.from;
    m.to = d.to;
    for (const auto* list : {&d.to, &d.cc, &d.bcc})
      for (const auto& a : *list) m.destination.push_back(bare_address(a));
    m.subject = "template " + mail.tmpl.name;
    m.headers = mail.headers;
    m.tags = mail.default_tags;
    for (const auto& t : d.tags) {  // a destination's tag replaces a default of the same name
      std::erase_if(m.tags, [&](const mail_tag& x) { return x.name == t.name; });
      m.tags.push_back(t);
    }
    m.configuration_set = mail.configuration_set;
    out.push_back({accept(workspace, m), std::nullopt});
  }
  return out;
}

std::string simulator::accept(std::string_view workspace, const message& m) {
  // The mail object every event of the message repeats.
  json::object common{
      {"from", json::array{json::value(m.from)}}, {"messageId", m.id}, {"subject", m.subject}};
  json::array to;
  for (const auto& a : m.to) to.push_back(json::value(a));
  common["to"] = std::move(to);
  json::object tags{{"ses:configuration-set", json::array{json::value(m.configuration_set)}},
                    {"ses:source-ip", json::array{"192.0.2.10"}},
                    {"ses:from-domain", json::array{json::value([&] {
                       const auto a = bare_address(m.from);
                       return a.substr(a.find('@') + 1);
                     }())}},
                    {"ses:caller-identity", json::array{"sesami-simulator"}}};
  if (m.configuration_set.empty()) tags.erase("ses:configuration-set");
  for (const auto& t : m.tags) tags[t.name] = json::array{json::value(t.value)};
  json::array headers{
      json::object{{"name", "From"}, {"value", m.from}},
      json::object{{"name", "Subject"}, {"value", m.subject}},
      json::object{{"name", "Message-ID"}, {"value", "<" + m.id + "@email.amazonses.com>"}}};
  for (const auto& h : m.headers)
    headers.push_back(json::object{{"name", h.name}, {"value", h.value}});
  json::array dest;
  for (const auto& a : m.destination) dest.push_back(json::value(a));
  const std::string source = bare_address(m.from);
  json::object mail{{"timestamp", iso(m.sent_at)},
                    {"source", source},
                    {"sourceArn", "arn:aws:ses:" + opt_.region + ":" + opt_.account_id +
                                      ":identity/" + source.substr(source.find('@') + 1)},
                    {"sendingAccountId", opt_.account_id},
                    {"messageId", m.id},
                    {"destination", std::move(dest)},
                    {"headersTruncated", false},
                    {"headers", std::move(headers)},
                    {"commonHeaders", std::move(common)},
                    {"tags", std::move(tags)}};

  struct planned {
    std::int64_t at;  // event time, ms
    std::string payload;
  };
  std::vector<planned> plan;
  std::lock_guard lock(mu_);
  auto between = [this](std::int64_t lo, std::int64_t hi) {
    return lo + static_cast<std::int64_t>(rng_() % static_cast<std::uint64_t>(hi - lo + 1));
  };
  auto record = [&](std::string_view type, std::string_view key, json::object detail) {
    json::object r{{"eventType", type}, {"mail", mail}};
    r[key] = std::move(detail);
    return json::serialize(r);
  };
  const auto mta = "a8-" + std::to_string(between(10, 99)) + ".smtp-out.amazonses.com";
  plan.push_back({m.sent_at, record("Send", "send", json::object{})});
  for (const auto& rcpt : m.destination) {
    const auto b = behaviour_of(rcpt);
    const std::int64_t done = m.sent_at + between(opt_.delivery_min_ms, opt_.delivery_max_ms);
    if (b == behaviour::bounce || b == behaviour::suppressed) {
      const bool list = b == behaviour::suppressed;
      json::object br{{"emailAddress", rcpt}, {"action", "failed"}, {"status", "5.1.1"}};
      br["diagnosticCode"] =
          list ? "Amazon SES has suppressed sending to this address because it has a recent "
                 "history of bouncing as an invalid address. For more information about how to "
                 "remove an address from the suppression list, see the Amazon SES Developer "
                 "Guide: https://docs.aws.amazon.com/ses/latest/dg/sending-email-suppression-"
                 "list.html"
               : "smtp; 550 5.1.1 user unknown";
      json::object bounce{{"feedbackId", "0100" + hex(static_cast<std::uint64_t>(done), 12) + "-" +
                                             uuid(rng_) + "-000000"},
                          {"bounceType", "Permanent"},
                          {"bounceSubType", list ? "OnAccountSuppressionList" : "General"},
                          {"bouncedRecipients", json::array{std::move(br)}},
                          {"timestamp", iso(done)},
                          {"reportingMTA", list ? "dns; amazonses.com" : "dsn; " + mta}};
      plan.push_back({done, record("Bounce", "bounce", std::move(bounce))});
      continue;
    }
    json::object delivery{{"timestamp", iso(done)},
                          {"processingTimeMillis", done - m.sent_at},
                          {"recipients", json::array{json::value(rcpt)}},
                          {"smtpResponse", "250 2.6.0 Message received"},
                          {"reportingMTA", mta},
                          {"remoteMtaIp", "198.51.100." + std::to_string(between(2, 250))}};
    plan.push_back({done, record("Delivery", "delivery", std::move(delivery))});
    if (b == behaviour::complaint) {
      const std::int64_t at = done + between(300, 1500);
      json::object c{{"feedbackId", "0100" + hex(static_cast<std::uint64_t>(at), 12) + "-" +
                                        uuid(rng_) + "-000000"},
                     {"complaintSubType", nullptr},
                     {"complainedRecipients", json::array{json::object{{"emailAddress", rcpt}}}},
                     {"timestamp", iso(at)},
                     {"userAgent", "Amazon SES Mailbox Simulator"},
                     {"complaintFeedbackType", "abuse"},
                     {"arrivalDate", iso(at)}};
      plan.push_back({at, record("Complaint", "complaint", std::move(c))});
    }
    if (opt_.engagement) {
      // A mix like real traffic: Apple Mail Privacy Protection fetches the pixel on arrival (a
      // machine open, user agent exactly "Mozilla/5.0"); about half the people open, a third of
      // them click.
      const auto ip = "203.0.113." + std::to_string(between(2, 250));
      if (rng_() % 3 == 0)
        plan.push_back({done + between(200, 1000),
                        record("Open", "open",
                               {{"ipAddress", "17.58.1." + std::to_string(between(2, 250))},
                                {"timestamp", iso(done + 500)},
                                {"userAgent", "Mozilla/5.0"}})});
      if (rng_() % 2 == 0) {
        const std::int64_t at = done + between(opt_.engagement_min_ms, opt_.engagement_max_ms);
        plan.push_back({at, record("Open", "open",
                                   {{"ipAddress", ip},
                                    {"timestamp", iso(at)},
                                    {"userAgent",
                                     "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) "
                                     "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 "
                                     "Safari/605.1.15"}})});
        if (rng_() % 3 == 0) {
          const std::int64_t ct = at + between(500, 3000);
          plan.push_back(
              {ct, record("Click", "click",
                          {{"ipAddress", ip},
                           {"timestamp", iso(ct)},
                           {"userAgent",
                            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
                            "(KHTML, like Gecko) Version/17.0 Safari/605.1.15"},
                           {"link", "https://example.com/welcome"},
                           {"linkTags", json::object{{"link", json::array{"welcome"}}}}})});
        }
      }
    }
  }
  // Event timestamps are wall-clock; the queue runs on the steady clock.
  const auto base = std::chrono::steady_clock::now();
  if (!stopping_) {
    for (auto& p : plan)
      queue_.push({base + std::chrono::milliseconds(p.at - m.sent_at), order_++,
                   std::string(workspace), std::move(p.payload), 0});
    cv_.notify_all();
  }
  return m.id;
}

void simulator::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    if (queue_.empty()) {
      if (stopping_) return;
      cv_.wait(lock);
      continue;
    }
    const auto due = queue_.top().due;
    // Stopping: what SES would still publish goes in now, so nothing sent loses its events.
    if (!stopping_ && std::chrono::steady_clock::now() < due) {
      cv_.wait_until(lock, due);
      continue;
    }
    scheduled s = queue_.top();
    queue_.pop();
    lock.unlock();
    // The normal ingestion path: parse, identity, store exactly once, suppress.
    auto r = ingest_payload(store_, s.workspace, s.payload, now_ms());
    if (opt_.health) {
      if (r)
        opt_.health->note_events(s.workspace, "simulator", "",
                                 r->summary.stored + r->summary.duplicates + r->summary.expired,
                                 now_ms());
      else
        opt_.health->note_error(s.workspace, "simulator", "",
                                r.error().id + ": " + r.error().message, now_ms());
    }
    lock.lock();
    if (r) {
      ++published_;
    } else if (r.error().storage && s.tries < 5 && !stopping_) {
      // A busy store: try again shortly, as SNS or SQS would redeliver.
      s.due = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
      ++s.tries;
      queue_.push(std::move(s));
    } else {
      ++failed_;
    }
  }
}

}  // namespace sesami::app
