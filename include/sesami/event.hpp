#pragma once
// The normalized event: one per affected recipient. A stable contract — the CLI, the HTTP API,
// the wasm package and the database all use these names (see docs/events.md).
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace sesami {

/// SES event types, plus `unknown` for documents we keep but do not understand.
enum class event_type : std::uint8_t {
  send,
  delivery,
  bounce,
  complaint,
  open,
  click,
  reject,
  delivery_delay,
  rendering_failure,
  subscription,
  unknown,
};
inline constexpr std::size_t event_type_count = 11;

/// Per (message, recipient) status. Declared in precedence order: the status of a recipient is the
/// highest-ranked status of all its events, so the answer does not depend on arrival order.
/// rejected and failed (Rendering Failure) are final: SES sends nothing after them.
enum class delivery_status : std::uint8_t {
  sent,
  delayed,
  delivered,
  opened,
  clicked,
  bounced,
  complained,
  rejected,
  failed,
};
inline constexpr std::size_t delivery_status_count = 9;

/// Our classification of a bounce (SES's own label is kept in bounce_info::type).
enum class bounce_class : std::uint8_t { none, hard, soft, suppressed, undetermined };

namespace detail {
inline constexpr std::string_view event_type_names[] = {
    "send",           "delivery",          "bounce",       "complaint", "open", "click", "reject",
    "delivery_delay", "rendering_failure", "subscription", "unknown"};
inline constexpr std::string_view status_names[] = {"sent",       "delayed",  "delivered",
                                                    "opened",     "clicked",  "bounced",
                                                    "complained", "rejected", "failed"};
inline constexpr std::string_view bounce_class_names[] = {"", "hard", "soft", "suppressed",
                                                          "undetermined"};
}  // namespace detail

constexpr std::string_view to_string(event_type t) noexcept {
  return detail::event_type_names[static_cast<std::size_t>(t)];
}
constexpr std::string_view to_string(delivery_status s) noexcept {
  return detail::status_names[static_cast<std::size_t>(s)];
}
constexpr std::string_view to_string(bounce_class c) noexcept {
  return detail::bounce_class_names[static_cast<std::size_t>(c)];
}
constexpr std::optional<event_type> parse_event_type(std::string_view s) noexcept {
  for (std::size_t i = 0; i < event_type_count; ++i)
    if (detail::event_type_names[i] == s) return static_cast<event_type>(i);
  return std::nullopt;
}
constexpr std::optional<delivery_status> parse_status(std::string_view s) noexcept {
  for (std::size_t i = 0; i < delivery_status_count; ++i)
    if (detail::status_names[i] == s) return static_cast<delivery_status>(i);
  return std::nullopt;
}

/// The status an event of this type gives its recipient; none for subscription and unknown.
constexpr std::optional<delivery_status> status_of(event_type t) noexcept {
  switch (t) {
    case event_type::send:
      return delivery_status::sent;
    case event_type::delivery:
      return delivery_status::delivered;
    case event_type::bounce:
      return delivery_status::bounced;
    case event_type::complaint:
      return delivery_status::complained;
    case event_type::open:
      return delivery_status::opened;
    case event_type::click:
      return delivery_status::clicked;
    case event_type::reject:
      return delivery_status::rejected;
    case event_type::delivery_delay:
      return delivery_status::delayed;
    case event_type::rendering_failure:
      return delivery_status::failed;
    default:
      return std::nullopt;
  }
}

/// Order-independent merge: the status after seeing both.
constexpr delivery_status merge_status(delivery_status a, delivery_status b) noexcept {
  return a < b ? b : a;
}

/// SES message tags and click link tags: name → values, sorted by name, as SES sends them.
using tag_map = std::vector<std::pair<std::string, std::vector<std::string>>>;

/// A mail's tags, held once and shared by the events of that mail: a bounce to 4 000 recipients
/// makes 4 000 events, and copying an event copies a pointer, not the tags (the per-recipient
/// copies made one payload's cost quadratic). Reads like a const tag_map; a write copies first, so
/// changing one event's tags never changes another's.
class shared_tags {
 public:
  using value_type = tag_map::value_type;
  shared_tags() = default;
  shared_tags(tag_map t)  // NOLINT(google-explicit-constructor): a tag_map is a shared_tags
      : p_(t.empty() ? nullptr : std::make_shared<const tag_map>(std::move(t))) {}
  shared_tags(std::initializer_list<value_type> il) : shared_tags(tag_map(il)) {}

  const tag_map& get() const noexcept { return p_ ? *p_ : empty_map(); }
  operator const tag_map&() const noexcept { return get(); }  // NOLINT: reads as a tag_map
  tag_map::const_iterator begin() const noexcept { return get().begin(); }
  tag_map::const_iterator end() const noexcept { return get().end(); }
  std::size_t size() const noexcept { return get().size(); }
  bool empty() const noexcept { return get().empty(); }
  const value_type& operator[](std::size_t i) const noexcept { return get()[i]; }
  const value_type& front() const noexcept { return get().front(); }
  const value_type& back() const noexcept { return get().back(); }
  void push_back(value_type v) {
    tag_map t = get();
    t.push_back(std::move(v));
    *this = shared_tags(std::move(t));
  }
  friend bool operator==(const shared_tags& a, const shared_tags& b) noexcept {
    return a.p_ == b.p_ || a.get() == b.get();
  }
  friend bool operator==(const shared_tags& a, const tag_map& b) noexcept { return a.get() == b; }

 private:
  static const tag_map& empty_map() noexcept {
    static const tag_map empty;
    return empty;
  }
  std::shared_ptr<const tag_map> p_;
};

struct bounce_info {
  std::string type;      // SES bounceType: Permanent, Transient, Undetermined
  std::string sub_type;  // SES bounceSubType: General, NoEmail, OnAccountSuppressionList ...
  bounce_class cls = bounce_class::none;  // ours, see categorize.hpp
  std::string diagnostic_code;            // the remote MTA's words, per recipient
  std::string status;                     // enhanced status code, "5.1.1"
  std::string action;                     // "failed"
  std::string reporting_mta;
  std::string feedback_id;
};
struct complaint_info {
  std::string feedback_type;  // abuse, fraud, not-spam, ... (ARF)
  std::string sub_type;       // complaintSubType (OnAccountSuppressionList) when present
  std::string user_agent;
  std::string feedback_id;
};
struct delivery_info {
  std::string smtp_response;
  std::int64_t processing_time_millis = 0;
  std::string reporting_mta;
  std::string remote_mta_ip;
};
struct open_info {
  std::string ip_address;
  std::string user_agent;
  bool machine = false;        // ours: privacy proxies and pre-fetchers, see categorize.hpp
  std::string machine_reason;  // why we think so ("apple-mpp", "google-image-proxy", ...)
};
struct click_info {
  std::string link;
  std::string ip_address;
  std::string user_agent;
  tag_map link_tags;
  bool machine = false;  // security scanners clicking every link
  std::string machine_reason;
};
struct delay_info {
  std::string type;                  // InternalFailure, General, MailboxFull, SpamDetected, ...
  std::int64_t expiration_time = 0;  // ms since epoch, 0 when absent
  std::string status;
  std::string diagnostic_code;
  std::string reporting_mta;
};
struct reject_info {
  std::string reason;
};
struct failure_info {
  std::string template_name;
  std::string error_message;
};
struct subscription_info {
  std::string contact_list;
  std::string source;
  std::string new_topic_preferences;  // the JSON object SES sent, serialized
  std::string old_topic_preferences;
};

using event_details =
    std::variant<std::monostate, bounce_info, complaint_info, delivery_info, open_info, click_info,
                 delay_info, reject_info, failure_info, subscription_info>;

/// Where an event came from: carried along for dedupe and diagnostics, not part of its identity.
struct event_source {
  std::string sns_message_id;  // the SNS MessageId when it came through SNS
  std::string shape;           // "sns", "eventbridge", "ses", "sqs", "lambda-sns", "lambda-sqs"
};

struct event {
  std::string message_id;  // SES mail.messageId
  event_type type = event_type::unknown;
  std::optional<std::string> recipient;   // lower-cased address without display name
  std::vector<std::string> destinations;  // filled when recipient is null: every mail.destination
  std::int64_t timestamp = 0;             // ms since the Unix epoch, UTC: the event's own time
  std::int64_t sent_at = 0;               // mail.timestamp, ms since epoch
  std::string sender;                     // mail.source
  std::string subject;                    // mail.commonHeaders.subject when present
  shared_tags tags;                       // mail.tags, shared by the mail's events
  std::string configuration_set;          // ses:configuration-set tag, or EventBridge/mail field
  event_details details;
  std::string raw;  // the original document, kept for unknown events only
  event_source source;

  template <class T>
  const T* get() const noexcept {
    return std::get_if<T>(&details);
  }
  bool machine() const noexcept {
    if (auto* o = get<open_info>()) return o->machine;
    if (auto* c = get<click_info>()) return c->machine;
    return false;
  }
};

}  // namespace sesami
