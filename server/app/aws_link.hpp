#pragma once
// What the SQS pollers and the suppression sync need to know about a workspace's AWS connection,
// independent of where the connection is stored: its region, its queue, and a way to get
// credentials (the workspace's role through the STS cache, or SESami's own keys for a queue in
// SESami's account). `sesami serve` builds these from the stored connections.
#include <functional>
#include <string>
#include <vector>

#include <boost/system/result.hpp>

#include "../aws/sigv4.hpp"

namespace sesami::app {

/// Credentials, fetched before every AWS call (a caching provider makes that cheap). An error is
/// a message for the log, the metrics and the sync record; it never contains a secret.
using credentials_source = std::function<boost::system::result<aws::credentials, std::string>()>;

struct aws_link {
  std::string workspace;
  std::string region;
  std::string mode;       // "sqs", "api-destination", "event-bus", or empty
  std::string queue_url;  // polled when mode is "sqs"
  credentials_source credentials;
  std::function<void()> invalidate_credentials;  // forgets the cached role session
  std::string sqs_endpoint;  // overrides (tests, VPC endpoints); empty: AWS's own
  std::string ses_endpoint;
};

/// The connected workspaces, as of now (called again whenever the set may have changed).
using aws_links_source = std::function<std::vector<aws_link>()>;

}  // namespace sesami::app
