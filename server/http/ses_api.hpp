#pragma once
// SES's own wire protocol (issue #22): an application that calls SES through the AWS SDK,
// nodemailer or another library sends through SESami by changing its endpoint. SES v2 REST-JSON
// under /v2/email/..., authenticated with AWS Signature Version 4 (service "ses") against the
// workspace's API key pair (accessKeyId / secretAccessKey). An adapter only: every send goes
// through app::mailer::send, the same use case as POST /mail (suppression, idempotency, rate,
// correlation, attempt log, events). docs/api.md ("The SES API") lists the operations.
#include "api.hpp"
#include "router.hpp"

namespace sesami::http {

/// The region a credential scope must name when the workspace has no AWS connection (the
/// simulator's; a connected workspace's scope names its connection's region), and the offline
/// MaxSendRate GetAccount reports.
using ses_api_options = api_options::ses_options;

/// Adds the SES v2 routes to `r`. `deps` must outlive `r`.
void add_ses_api_routes(router& r, api_deps& deps, const ses_api_options& opt = {});

}  // namespace sesami::http
