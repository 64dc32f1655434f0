#include "sqs.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

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

std::string sqs_region_of(std::string_view url) {
  const auto p = parse_url(url);
  if (!p) return {};
  std::string_view h = p->host;
  if (!h.starts_with("sqs.")) return {};
  h.remove_prefix(4);
  const auto dot = h.find('.');
  if (dot == std::string_view::npos || h.substr(dot).find("amazonaws.com") == std::string_view::npos)
    return {};
  return std::string(h.substr(0, dot));
}

sqs_client::sqs_client(http_client& http, std::string region, std::string endpoint)
    : http_(http), region_(std::move(region)), endpoint_(std::move(endpoint)) {}

sqs_result<std::string> sqs_client::call(const credentials& c, std::string_view queue_url,
                                         std::string_view operation, std::string body,
                                         long timeout_ms) {
  http_request req;
  req.method = "POST";
  if (!endpoint_.empty()) {
    req.url = endpoint_;
  } else {
    const auto p = parse_url(queue_url);
    if (!p)
      return sqs_error{sqs_error::kind::client, 0, "InvalidQueueUrl",
                       "not an http(s) queue URL: " + std::string(queue_url)};
    req.url = p->scheme + "://" + p->host + "/";
  }
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
                                                         int wait_seconds,
                                                         int visibility_seconds) {
  json::object in;
  in["QueueUrl"] = queue_url;
  in["MaxNumberOfMessages"] = max;
  in["WaitTimeSeconds"] = wait_seconds;
  if (visibility_seconds >= 0) in["VisibilityTimeout"] = visibility_seconds;
  in["MessageSystemAttributeNames"] = json::array{"ApproximateReceiveCount"};
  // The long poll holds the connection for wait_seconds: the timeout must outlast it.
  auto body = call(c, queue_url, "ReceiveMessage", json::serialize(in),
                   wait_seconds * 1000L + 10'000L);
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
  auto body = call(c, queue_url, "DeleteMessageBatch", json::serialize(in), 10'000);
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
  auto body = call(c, queue_url, "ChangeMessageVisibilityBatch", json::serialize(in), 10'000);
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
  auto body = call(c, queue_url, "GetQueueAttributes", json::serialize(in), 10'000);
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
