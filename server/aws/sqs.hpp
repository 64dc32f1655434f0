#pragma once
// Amazon SQS client for the ingestion poller: the JSON protocol (awsJson1_0,
// `X-Amz-Target: AmazonSQS.<Operation>`), SigV4-signed ("sqs"), over aws::http_client.
// Only the calls a consumer needs: ReceiveMessage (long poll), DeleteMessageBatch,
// ChangeMessageVisibilityBatch, GetQueueAttributes (queue depth).
// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/system/result.hpp>

#include "http_client.hpp"
#include "sigv4.hpp"

namespace sesami::aws {

struct sqs_message {
  std::string message_id;
  std::string receipt_handle;
  std::string body;
  int receive_count = 0;  // ApproximateReceiveCount (1 on the first delivery)
};

/// What went wrong with one call, classified for the caller's retry policy.
struct sqs_error {
  enum class kind {
    transport,  // nothing came back (connection refused, timeout): retry with backoff
    throttled,  // ThrottlingException, RequestThrottled, OverLimit: retry with longer backoff
    server,     // 5xx: retry with backoff
    auth,       // ExpiredToken, InvalidClientTokenId, SignatureDoesNotMatch, AccessDenied: fresh
                // credentials may help, otherwise an operator must
    client,     // any other 4xx (no such queue, bad parameter): will not heal by itself
  };
  kind what = kind::transport;
  long status = 0;
  std::string code;  // AWS's error code ("QueueDoesNotExist", "ExpiredToken"), empty for transport
  std::string message;
};
template <class T>
using sqs_result = boost::system::result<T, sqs_error>;

struct sqs_batch_failure {
  std::string receipt_handle;
  std::string code;
  std::string message;
};

struct sqs_queue_depth {
  std::int64_t visible = 0;   // ApproximateNumberOfMessages
  std::int64_t inflight = 0;  // ApproximateNumberOfMessagesNotVisible
};

/// A queue URL's parts.
struct sqs_queue_url {
  std::string region;
  std::string account;  // 12 digits
  std::string name;     // with ".fifo" for a FIFO queue
};
/// A queue URL exactly as AWS prints it, and nothing else:
/// `https://sqs.<region>.amazonaws.com/<account>/<name>`, the legacy
/// `https://<region>.queue.amazonaws.com/<account>/<name>`, and
/// `https://sqs.cn-<...>.amazonaws.com.cn/<account>/<name>` in the China regions. No other host,
/// no port, user info, query, fragment, percent-encoding, trailing dot or upper case; libcurl's own
/// parser (the outbound-URL policy's) must agree on the host. The error says what is wrong.
boost::system::result<sqs_queue_url, std::string> parse_sqs_queue_url(std::string_view url);
/// SQS's own endpoint for a region: `https://sqs.<region>.amazonaws.com` (`.com.cn` for cn-*).
std::string sqs_endpoint(std::string_view region);
/// Region of a queue URL (parse_sqs_queue_url); empty when it is not one.
std::string sqs_region_of(std::string_view queue_url);

class sqs_client {
 public:
  /// `region` signs the requests; `endpoint` overrides where they go (the operator's: tests, VPC
  /// endpoints; empty: SQS's own endpoint for the region, sqs_endpoint()). The host of a queue URL
  /// is never where a request goes.
  sqs_client(http_client& http, std::string region, std::string endpoint = {});

  /// Long poll: waits up to `wait_seconds` (0-20) for up to `max` (1-10) messages, hiding them
  /// for `visibility_seconds` (< 0: the queue's default).
  sqs_result<std::vector<sqs_message>> receive(const credentials& c, std::string_view queue_url,
                                               int max, int wait_seconds, int visibility_seconds);
  /// Deletes up to 10 messages; the handles SQS refused come back (the rest are deleted).
  sqs_result<std::vector<sqs_batch_failure>> delete_batch(const credentials& c,
                                                          std::string_view queue_url,
                                                          const std::vector<std::string>& handles);
  /// Sets the visibility timeout of up to 10 in-flight messages.
  sqs_result<std::vector<sqs_batch_failure>> change_visibility_batch(
      const credentials& c, std::string_view queue_url, const std::vector<std::string>& handles,
      int visibility_seconds);
  sqs_result<sqs_queue_depth> depth(const credentials& c, std::string_view queue_url);

 private:
  sqs_result<std::string> call(const credentials& c, std::string_view operation, std::string body,
                               long timeout_ms);

  http_client& http_;
  std::string region_;
  std::string endpoint_;
};

}  // namespace sesami::aws
