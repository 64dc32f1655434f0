#pragma once
// An SNS HTTPS message as SNS posts it, signed by a certificate of the tests' PKI: the body the
// ingest, Redis and proof suites send to /ingest/sns/{token}.
#include <string>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "../../server/aws/sns_verify.hpp"
#include "support.hpp"

namespace sesami::test {

/// The URL SNS would name for the tests' signing certificate (served by https_stub or a cert dir).
inline const std::string sns_cert_url =
    "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-sesamitest.pem";

/// The AWS account of the tests' SNS topic: a workspace accepts its messages once this account is
/// one of its source accounts (`sesami workspace connect-account`, POST /workspace/aws-accounts).
inline const std::string sns_topic_account = "111122223333";
inline const std::string sns_topic_arn =
    "arn:aws:sns:us-east-1:" + sns_topic_account + ":ses-events";
/// The account of the genuine AWS-signed messages in tests/server/fixtures/sns-real.
inline const std::string sns_real_topic_account = "295079676684";

/// `type` "Notification", "SubscriptionConfirmation" or "UnsubscribeConfirmation", signed with
/// SHA1 (`version` "1") or SHA256 ("2").
inline std::string sns_message(const pki::cert& signer, const std::string& type,
                               const std::string& message_id, const std::string& message,
                               const std::string& version = "1",
                               const std::string& subscribe_url = "",
                               const std::string& signing_cert_url = sns_cert_url,
                               const std::string& topic_arn = sns_topic_arn) {
  sesami::sns_envelope e;
  e.type = type;
  e.message_id = message_id;
  e.topic_arn = topic_arn;
  e.message = message;
  e.timestamp = "2026-11-28T12:00:00.000Z";
  e.signature_version = version;
  e.signing_cert_url = signing_cert_url;
  e.subscribe_url = subscribe_url;
  if (type != "Notification") e.token = "2336412f37fb687f5d51e6e2425c464de12884a6";
  e.signature = sign_base64(signer.key_pem, *sesami::aws::string_to_sign(e), version == "2");
  boost::json::object o{{"Type", e.type},           {"MessageId", e.message_id},
                        {"TopicArn", e.topic_arn},  {"Message", e.message},
                        {"Timestamp", e.timestamp}, {"SignatureVersion", e.signature_version},
                        {"Signature", e.signature}, {"SigningCertURL", e.signing_cert_url}};
  if (type == "Notification") {
    o["UnsubscribeURL"] = "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe";
  } else {
    o["SubscribeURL"] = e.subscribe_url;
    o["Token"] = e.token;
  }
  return boost::json::serialize(o);
}

}  // namespace sesami::test
