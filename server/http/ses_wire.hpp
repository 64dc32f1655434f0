#pragma once
// What the two SES protocols share (ses_api.cpp: v2 REST-JSON; ses_query.cpp: the v1 Query API):
// SES's errors as values, and the adapter's services — SigV4 authentication, one send through
// app::mailer::send given SES v2 SendEmail's input, the quota. A v1 request is translated into
// v2's input and sent by the same code, so the two protocols cannot drift apart.
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <boost/beast/http/status.hpp>
#include <boost/json/object.hpp>

#include "../app/auth.hpp"
#include "router.hpp"

namespace sesami::app {
class template_service;
}

namespace sesami::http::ses {

/// An error as SES names it (v2's x-amzn-ErrorType), with the HTTP status v2 answers it with.
struct error {
  boost::beast::http::status st = boost::beast::http::status::bad_request;
  std::string code;
  std::string message;
};

struct send_quota {
  double max_24_hour_send = 0, max_send_rate = 0, sent_last_24_hours = 0;
  bool production_access = true, sending_enabled = true;
};

class backend {
 public:
  virtual ~backend() = default;
  /// SigV4 (service ses, the workspace's region, ±15 min), then the key's scope and role.
  virtual std::optional<app::principal> authenticate(const context& ctx, app::role need,
                                                     error& err) = 0;
  /// One SES v2 SendEmail input through the send use case: the MessageId, or SES's error.
  virtual std::variant<std::string, error> send_email(const context& ctx,
                                                      std::string_view workspace,
                                                      const boost::json::object& input) = 0;
  virtual std::variant<send_quota, error> quota(std::string_view workspace) = 0;
};

/// POST / with a form body: the SES v1 Query API (SendEmail, SendRawEmail, SendTemplatedEmail,
/// GetSendQuota), answered in SES's XML (namespace http://ses.amazonaws.com/doc/2010-12-01/).
response query_api(context& ctx, backend& b);

/// An answer in SES v2's JSON; an error with x-amzn-ErrorType and {"message"}.
response ses_json(const context& ctx, boost::beast::http::status st,
                  const boost::json::value& body);
response ses_fail(const context& ctx, const error& e);

/// The v2 template operations (ses_api_templates.cpp) on `t` (null: they answer 503), each
/// authenticated by `b`.
void add_template_routes(router& r, std::shared_ptr<backend> b, app::template_service* t);

/// A header of a base64 MIME message ("" when absent): a Raw message without FromEmailAddress or
/// destinations names them in its own headers.
std::string raw_header(std::string_view base64_message, std::string_view name);

}  // namespace sesami::http::ses
