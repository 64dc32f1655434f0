#pragma once
// The boundary between the send use case (app/mail.*: validation, suppression and unsubscribe
// checks, idempotency, rate limiting, attempt records) and whatever hands the mail over: SES v2 in
// the customer's account (aws/ses_transport.*) or the offline mailbox simulator (app/simulator.*).
// A transport sends exactly what it is given — every policy decision was taken before.
//
// The shapes mirror SES v2 SendEmail / SendBulkEmail so the SES transport is a plain mapping.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/system/result.hpp>

namespace sesami::app {

struct mail_header {  // extra headers (List-Unsubscribe, List-Unsubscribe-Post, ...)
  std::string name, value;
};
struct mail_tag {  // SES message tags: echoed in every event of the message
  std::string name, value;
};
struct mail_attachment {
  std::string file_name;
  std::string content_type;                // e.g. "application/pdf"
  std::string content;                     // raw bytes (decoded from the request's base64)
  std::string disposition = "ATTACHMENT";  // or "INLINE"
  std::string content_id;                  // for INLINE
};

struct simple_content {
  std::string subject;
  std::string text;  // at least one of text / html
  std::string html;
  std::vector<mail_attachment> attachments;
};
struct template_content {
  std::string name;  // a template stored in the SES account
  std::string data;  // JSON object text with the template's variables
};

/// One mail as it will be handed over. Exactly one of simple / raw / tmpl is set.
struct outgoing_mail {
  std::string from;
  std::vector<std::string> to, cc, bcc, reply_to;
  std::optional<simple_content> simple;
  std::optional<std::string> raw;  // a complete MIME message
  std::optional<template_content> tmpl;
  std::vector<mail_header> headers;  // not used with raw (the MIME carries its own)
  std::vector<mail_tag> tags;
  std::string configuration_set;  // so SES publishes the message's events back to SESami
};

/// One destination of a bulk send: its recipients and its own template data.
struct bulk_destination {
  std::vector<std::string> to, cc, bcc;
  std::string template_data;  // JSON object text; empty: the default data
  std::vector<mail_tag> tags;
  std::vector<mail_header> headers;  // this destination's own (List-Unsubscribe names one address)
};
/// SendBulkEmail: one template, at most 50 destinations per call.
struct bulk_mail {
  std::string from;
  std::vector<std::string> reply_to;
  template_content tmpl;  // tmpl.data is the default data
  std::vector<mail_header> headers;
  std::vector<mail_tag> default_tags;
  std::string configuration_set;
  std::vector<bulk_destination> destinations;
};

enum class send_errc {
  ok = 0,
  throttled,       // rate or quota exceeded (SES TooManyRequests / Throttling): retry with backoff
  unavailable,     // network error, 5xx: retry
  rejected,        // SES refused this mail (MessageRejected, MailFromDomainNotVerified, ...)
  not_authorized,  // credentials or permissions (AccessDenied, ExpiredToken after refresh)
  not_connected,   // the workspace has no usable AWS connection
  bad_request,     // SES says the request is malformed (BadRequestException)
  account_paused,  // sending paused for the account (AccountSuspended, SendingPaused)
};
constexpr std::string_view to_id(send_errc e) noexcept {
  constexpr std::string_view ids[] = {
      "send.ok",          "send.throttled",      "send.unavailable",
      "send.rejected",    "send.not_authorized", "send.not_connected",
      "send.bad_request", "send.account_paused"};
  return ids[static_cast<std::size_t>(e)];
}
struct send_error {
  send_errc code = send_errc::unavailable;
  std::string provider_code;  // SES's own error code, e.g. "MessageRejected"; empty if none
  std::string message;        // for a person; never contains credentials
  bool retryable() const noexcept {
    return code == send_errc::throttled || code == send_errc::unavailable;
  }
};
template <class T>
using send_result = boost::system::result<T, send_error>;

/// The outcome of one bulk destination: a message id or an error of its own.
struct bulk_entry_result {
  std::string message_id;
  std::optional<send_error> error;
};

class mail_transport {
 public:
  virtual ~mail_transport() = default;
  /// "ses" or "simulator": recorded with each attempt.
  virtual std::string_view name() const noexcept = 0;
  /// Sends one mail for the workspace; the message id on success.
  virtual send_result<std::string> send(std::string_view workspace, const outgoing_mail& mail) = 0;
  /// Sends one bulk call (≤ 50 destinations); one result per destination, in order. A whole-call
  /// failure (throttling, credentials) is the error; per-destination failures are in the entries.
  virtual send_result<std::vector<bulk_entry_result>> send_bulk(std::string_view workspace,
                                                                const bulk_mail& mail) = 0;
};

}  // namespace sesami::app
