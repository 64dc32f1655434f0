#include "sqs.hpp"

#include <regex>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "outbound_url.hpp"

namespace sesami::aws {
namespace {

namespace json = boost::json;

std::string_view str(const json::object& o, std::string_view key) {
  if (auto* v = o.if_contains(key))
    if (auto* s = v->if_string()) return *s;
  return {};
}

/// The error code of an awsJson1_0 answer: `x-amzn-query-error` ("Code;Sender") when present
/// (SQS's query-compatible code), else the shape name after '#' in `__type`.
sqs_error error_of(const http_response& r) {
  sqs_error e;
  e.status = r.status;
  std::string_view q = r.header("x-amzn-query-error");
  std::string type;
  boost::system::error_code ec;
  json::value doc = json::parse(r.body, ec);
  if (!ec)
    if (auto* o = doc.if_object()) {
      type = std::string(str(*o, "__type"));
      e.message = std::string(str(*o, "message"));
      if (e.message.empty()) e.message = std::string(str(*o, "Message"));
    }
  if (!q.empty())
    e.code = std::string(q.substr(0, q.find(';')));
  else if (auto h = type.find('#'); h != std::string::npos)
    e.code = type.substr(h + 1);
  else
    e.code = type;
  // SQS's query codes carry a prefix ("AWS.SimpleQueueService.NonExistentQueue").
  if (auto dot = e.code.rfind('.'); dot != std::string::npos) e.code = e.code.substr(dot + 1);
  if (e.message.empty()) e.message = "HTTP " + std::to_string(r.status);

  const std::string& c = e.code;
  if (c == "ThrottlingException" || c == "RequestThrottled" || c == "OverLimit" ||
      c == "Throttling" || r.status == 429)
    e.what = sqs_error::kind::throttled;
  else if (r.status >= 500)
    e.what = sqs_error::kind::server;
  else if (c == "ExpiredToken" || c == "InvalidClientTokenId" || c == "SignatureDoesNotMatch" ||
           c == "AccessDenied" || c == "AccessDeniedException" || c == "IncompleteSignature" ||
           c == "RequestExpired" || c == "UnrecognizedClientException" || r.status == 403)
    e.what = sqs_error::kind::auth;
  else
    e.what = sqs_error::kind::client;
  return e;
}

std::vector<sqs_batch_failure> failures_of(const json::object& o,
                                           const std::vector<std::string>& handles) {
  std::vector<sqs_batch_failure> out;
  if (auto* f = o.if_contains("Failed"))
    if (auto* arr = f->if_array())
      for (auto& item : *arr)
        if (auto* e = item.if_object()) {
          // Entry ids are the handles' indexes (see entries()).
          std::string_view id = str(*e, "Id");
          std::size_t i = 0;
          bool ok = !id.empty();
          for (char ch : id) ok = ok && ch >= '0' && ch <= '9', i = i * 10 + (ch - '0');
          sqs_batch_failure bf;
          if (ok && i < handles.size()) bf.receipt_handle = handles[i];
          bf.code = std::string(str(*e, "Code"));
          bf.message = std::string(str(*e, "Message"));
          out.push_back(std::move(bf));
        }
  return out;
}

json::array entries(const std::vector<std::string>& handles, int visibility) {
  json::array a;
  for (std::size_t i = 0; i < handles.size(); ++i) {
    json::object e;
    e["Id"] = std::to_string(i);
    e["ReceiptHandle"] = handles[i];
    if (visibility >= 0) e["VisibilityTimeout"] = visibility;
    a.push_back(std::move(e));
  }
  return a;
}

sqs_error bad_answer(std::string_view what) {
  return sqs_error{sqs_error::kind::server, 200, "MalformedResponse",
                   "SQS answered with " + std::string(what)};
}

}  // namespace

namespace {
boost::system::result<sqs_queue_url, std::string> not_a_queue(std::string why) {
  return {boost::system::in_place_error, std::move(why)};
}
}  // namespace

boost::system::result<sqs_queue_url, std::string> parse_sqs_queue_url(std::string_view url) {
  // The whole string, anchored: what is not in this pattern is not an SQS queue URL.
  static const std::regex shape(
      R"(https://(?:sqs\.([a-z0-9-]{1,32})\.amazonaws\.com(\.cn)?|([a-z0-9-]{1,32})\.queue\.amazonaws\.com)/(\d{12})/([A-Za-z0-9_-]{1,80}(?:\.fifo)?))");
  static const std::regex region_name(R"([a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2})");
  if (url.size() > 256) return not_a_queue("an SQS queue URL is at most 256 characters");
  std::match_results<std::string_view::const_iterator> m;
  if (!std::regex_match(url.begin(), url.end(), m, shape))
    return not_a_queue(
        "not an SQS queue URL (https://sqs.<region>.amazonaws.com/<account>/<queue name>, "
        "nothing before or after)");
  sqs_queue_url q;
  const bool legacy = m[3].matched;
  q.region = legacy ? m[3].str() : m[1].str();
  q.account = m[4].str();
  q.name = m[5].str();
  if (!std::regex_match(q.region, region_name))
    return not_a_queue("'" + q.region + "' is not an AWS region name");
  const bool china = q.region.starts_with("cn-");
  if (m[2].matched != china || (legacy && china))
    return not_a_queue(china ? "queues in the China regions are on sqs.<region>.amazonaws.com.cn"
                             : "only queues in the China regions are on amazonaws.com.cn");
  // The policy's parser (libcurl's) must see the host the pattern saw: no parser differential.
  const std::string host = legacy ? q.region + ".queue.amazonaws.com"
                                  : "sqs." + q.region + ".amazonaws.com" + (china ? ".cn" : "");
  auto t = parse_outbound_url(url);
  if (!t) return not_a_queue(t.error().message);
  if (t->host != host || t->port != 443) return not_a_queue("the URL's host is not SQS's");
  return q;
}

std::string sqs_endpoint(std::string_view region) {
  return "https://sqs." + std::string(region) + ".amazonaws.com" +
         (region.starts_with("cn-") ? ".cn" : "");
}

std::string sqs_region_of(std::string_view url) {
  auto q = parse_sqs_queue_url(url);
  return q ? q->region : std::string();
}

sqs_client::sqs_client(http_client& http, std::string region, std::string endpoint)
    : http_(http), region_(std::move(region)), endpoint_(std::move(endpoint)) {}

sqs_result<std::string> sqs_client::call(const credentials& c, std::string_view operation,
                                         std::string body, long timeout_ms) {
  http_request req;
  req.method = "POST";
  // Requests go to SQS's endpoint for the signing region (or the operator's override), never to
  // a host read from the queue URL: the URL is only the QueueUrl parameter, which SQS checks.
  req.url = endpoint_.empty() ? sqs_endpoint(region_) + "/" : endpoint_;
  req.headers.push_back({"Content-Type", "application/x-amz-json-1.0"});
  req.headers.push_back({"X-Amz-Target", "AmazonSQS." + std::string(operation)});
  req.body = std::move(body);
  req.timeout_ms = timeout_ms;
  if (!sign_http(req, c, {region_, "sqs"}, std::chrono::system_clock::now()))
    return sqs_error{sqs_error::kind::client, 0, "InvalidEndpoint", "cannot sign for " + req.url};
  auto r = http_.perform(req);
  if (!r)
    return sqs_error{sqs_error::kind::transport, 0, r.error().timeout ? "Timeout" : "Transport",
                     r.error().message};
  if (r->status != 200) return error_of(*r);
  return std::move(r->body);
}

sqs_result<std::vector<sqs_message>> sqs_client::receive(const credentials& c,
                                                         std::string_view queue_url, int max,
                                                         int wait_seconds, int visibility_seconds) {
  json::object in;
  in["QueueUrl"] = queue_url;
  in["MaxNumberOfMessages"] = max;
  in["WaitTimeSeconds"] = wait_seconds;
  if (visibility_seconds >= 0) in["VisibilityTimeout"] = visibility_seconds;
  in["MessageSystemAttributeNames"] = json::array{"ApproximateReceiveCount"};
  // The long poll holds the connection for wait_seconds: the timeout must outlast it.
  auto body = call(c, "ReceiveMessage", json::serialize(in), wait_seconds * 1000L + 10'000L);
  if (!body) return body.error();
  boost::system::error_code ec;
  json::value doc = json::parse(*body, ec);
  if (ec || !doc.is_object()) return bad_answer("a body that is not a JSON object");
  std::vector<sqs_message> out;
  if (auto* ms = doc.as_object().if_contains("Messages")) {
    auto* arr = ms->if_array();
    if (!arr) return bad_answer("Messages that is not an array");
    for (auto& v : *arr) {
      auto* o = v.if_object();
      if (!o) return bad_answer("a message that is not an object");
      sqs_message m;
      m.message_id = std::string(str(*o, "MessageId"));
      m.receipt_handle = std::string(str(*o, "ReceiptHandle"));
      m.body = std::string(str(*o, "Body"));
      if (m.receipt_handle.empty()) return bad_answer("a message without ReceiptHandle");
      if (auto* a = o->if_contains("Attributes"))
        if (auto* ao = a->if_object()) {
          const std::string_view n = str(*ao, "ApproximateReceiveCount");
          int count = 0;
          for (char ch : n)
            if (ch >= '0' && ch <= '9' && count < 1'000'000) count = count * 10 + (ch - '0');
          m.receive_count = count;
        }
      out.push_back(std::move(m));
    }
  }
  return out;
}

sqs_result<std::vector<sqs_batch_failure>> sqs_client::delete_batch(
    const credentials& c, std::string_view queue_url, const std::vector<std::string>& handles) {
  if (handles.empty()) return std::vector<sqs_batch_failure>{};
  json::object in;
  in["QueueUrl"] = queue_url;
  in["Entries"] = entries(handles, -1);
  auto body = call(c, "DeleteMessageBatch", json::serialize(in), 10'000);
  if (!body) return body.error();
  boost::system::error_code ec;
  json::value doc = json::parse(*body, ec);
  if (ec || !doc.is_object()) return bad_answer("a body that is not a JSON object");
  return failures_of(doc.as_object(), handles);
}

sqs_result<std::vector<sqs_batch_failure>> sqs_client::change_visibility_batch(
    const credentials& c, std::string_view queue_url, const std::vector<std::string>& handles,
    int visibility_seconds) {
  if (handles.empty()) return std::vector<sqs_batch_failure>{};
  json::object in;
  in["QueueUrl"] = queue_url;
  in["Entries"] = entries(handles, visibility_seconds);
  auto body = call(c, "ChangeMessageVisibilityBatch", json::serialize(in), 10'000);
  if (!body) return body.error();
  boost::system::error_code ec;
  json::value doc = json::parse(*body, ec);
  if (ec || !doc.is_object()) return bad_answer("a body that is not a JSON object");
  return failures_of(doc.as_object(), handles);
}

sqs_result<sqs_queue_depth> sqs_client::depth(const credentials& c, std::string_view queue_url) {
  json::object in;
  in["QueueUrl"] = queue_url;
  in["AttributeNames"] =
      json::array{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"};
  auto body = call(c, "GetQueueAttributes", json::serialize(in), 10'000);
  if (!body) return body.error();
  boost::system::error_code ec;
  json::value doc = json::parse(*body, ec);
  if (ec || !doc.is_object()) return bad_answer("a body that is not a JSON object");
  sqs_queue_depth d;
  if (auto* a = doc.as_object().if_contains("Attributes"))
    if (auto* ao = a->if_object()) {
      auto num = [&](std::string_view k) {
        std::int64_t n = 0;
        for (char ch : str(*ao, k))
          if (ch >= '0' && ch <= '9' && n < (std::int64_t{1} << 50)) n = n * 10 + (ch - '0');
        return n;
      };
      d.visible = num("ApproximateNumberOfMessages");
      d.inflight = num("ApproximateNumberOfMessagesNotVisible");
    }
  return d;
}

}  // namespace sesami::aws
