#include "errors.hpp"

namespace sesami::http {

boost::beast::http::status status_for(std::string_view c) noexcept {
  using s = boost::beast::http::status;
  struct entry {
    std::string_view code;
    s status;
  };
  // Exact codes first; then prefixes for whole families.
  static constexpr entry exact[] = {
      {code::bad_request, s::bad_request},
      {code::not_found, s::not_found},
      {code::method_not_allowed, s::method_not_allowed},
      {code::payload_too_large, s::payload_too_large},
      {code::header_too_large, s::request_header_fields_too_large},
      {code::unsupported_media_type, s::unsupported_media_type},
      {code::overloaded, s::service_unavailable},
      {code::shutting_down, s::service_unavailable},
      {code::unauthenticated, s::unauthorized},
      {code::bad_credentials, s::unauthorized},
      {code::forbidden, s::forbidden},
      {code::csrf, s::forbidden},
      {code::scope, s::forbidden},
      {code::password_change_required, s::forbidden},
      {code::throttled, s::too_many_requests},
      // Every password-hash slot is taken: retry in a second (Retry-After).
      {code::busy, s::service_unavailable},
      // Members and invitations (app/auth.hpp, docs/security.md section 3).
      {"users.member", s::conflict},
      {"users.invited", s::conflict},
      {"users.changed", s::conflict},
      {"users.last_owner", s::conflict},
      {"users.not_found", s::not_found},
      {"invite.not_found", s::not_found},
      // A wrong ingest token is answered like a missing route: it tells a prober nothing.
      {code::bad_token, s::not_found},
      {code::bad_signature, s::forbidden},
      {code::cert_refused, s::forbidden},
      // The certificate could not be fetched now: SNS should retry later.
      {code::cert_unavailable, s::service_unavailable},
      {code::account_not_connected, s::forbidden},
      // The workspace has no AWS connection: a state the user can change, not a server fault.
      {code::aws_not_connected, s::conflict},
      {code::conflict, s::conflict},
      {code::store_unavailable, s::service_unavailable},
      {code::internal, s::internal_server_error},
      {"sesami.too_large", s::payload_too_large},
      // Past a documented limit (docs/events.md "Limits"): the payload, not its size, is at fault.
      {"sesami.limit_exceeded", s::bad_request},
      {"sns.missing_field", s::bad_request},
      {"sns.unknown_type", s::bad_request},
      {"sns.bad_signature_version", s::forbidden},
      {"sns.signature_version_refused", s::forbidden},
      // A topic of an account the workspace does not accept, whatever the message's signature.
      {"sns.topic_not_allowed", s::forbidden},
      // SES fields beside the envelope: not signed, never read.
      {"sns.unsigned_fields", s::bad_request},
      // A bare SES event: the subscription has raw message delivery on (issue #18).
      {"sns.raw_message_delivery", s::bad_request},
      {"sns.bad_cert", s::forbidden},
      // Confirming with AWS failed: a gateway problem, not the caller's.
      {"sns.confirm_failed", s::bad_gateway},
      {"eventbridge.bad_secret", s::forbidden},
      {"store.not_found", s::not_found},
      {"store.bad_input", s::bad_request},
      // Every other store failure (busy, read-only, disk full): retry later, so AWS retries.
      {"store.unavailable", s::service_unavailable},
      {"store.read_only", s::service_unavailable},
      // Sending (app/mail.hpp).
      {"mail.all_suppressed", s::unprocessable_entity},
      {"mail.idempotency_mismatch", s::conflict},
      {"mail.idempotency_in_progress", s::conflict},
      {"mail.throttled", s::service_unavailable},
      {"mail.unavailable", s::service_unavailable},
      {"mail.rejected", s::unprocessable_entity},
      {"mail.bad_request", s::bad_request},
      {"mail.not_authorized", s::bad_gateway},
      {"mail.account_paused", s::conflict},
      // The reputation guard paused the workspace's sending (app/reputation.hpp).
      {"mail.paused", s::conflict},
      {"unsubscribe.bad_token", s::bad_request},
      // The preference page's forms (http/preference_page.cpp): another site's post, or a form
      // that is not the link's page's.
      {"unsubscribe.foreign_origin", s::forbidden},
      {"unsubscribe.bad_form", s::forbidden},
      // Topics and contacts (app/topics.hpp).
      {"topics.not_found", s::not_found},
      {"topics.exists", s::conflict},
      {"contacts.not_found", s::not_found},
      // AWS connection checks (app/aws_connection.hpp): throttling is transient; every other aws.*
      // problem is an upstream refusal the workspace's admin fixes in AWS (502, see below).
      {"aws.throttled", s::service_unavailable},
      {"aws.unreachable", s::bad_gateway},
      // Outbound webhooks (app/webhooks.hpp): a URL the outbound policy refuses is the caller's.
      {"webhooks.url_refused", s::bad_request},
      {"webhooks.not_found", s::not_found},
      {"webhooks.disabled", s::conflict},
      // Email templates (app/templates.hpp).
      {"template.not_found", s::not_found},
      {"template.exists", s::conflict},
      // SES would not deliver it (a Rendering Failure): the data, not its syntax, is at fault.
      {"template.missing_data", s::unprocessable_entity},
  };
  for (const auto& e : exact)
    if (e.code == c) return e.status;
  // Every other core error is about the input the caller sent.
  if (c.starts_with("sesami.")) return s::bad_request;
  if (c.starts_with("validation.")) return s::bad_request;
  if (c.starts_with("store.")) return s::service_unavailable;
  if (c.starts_with("aws.")) return s::bad_gateway;
  return s::internal_server_error;
}

}  // namespace sesami::http
