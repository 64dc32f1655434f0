#include "standin.hpp"

#include <stdexcept>

namespace sesami::test {
namespace json = boost::json;

standins::standins(const json::object& config) {
  write_file(dir_.path / "config.json", json::serialize(config));
  proc_ = std::make_unique<child_process>(
      std::vector<std::string>{"node", std::string(SESAMI_AWS_TESTS_DIR) + "/standins/serve.mjs",
                               "--port", "0", "--config", (dir_.path / "config.json").string()},
      std::vector<std::string>{}, "listening on ");
  const auto& line = proc_->ready_line();
  base_ = line.substr(line.find("http://"));
  while (!base_.empty() && (base_.back() == '\r' || base_.back() == ' ')) base_.pop_back();
}

json::object standins::state() const {
  aws::http_client http;
  auto r = http.perform({"GET", base_ + "/_admin/state", {}, "", 5000, 2000});
  if (!r || r->status != 200) throw std::runtime_error("stand-in state unavailable");
  return json::parse(r->body).as_object();
}

void standins::admin(const std::string& method, const std::string& path,
                     const json::value& body) const {
  aws::http_client http;
  auto r = http.perform({method,
                         base_ + "/_admin/" + path,
                         {{"Content-Type", "application/json"}},
                         json::serialize(body),
                         5000,
                         2000});
  if (!r || r->status >= 300) throw std::runtime_error("stand-in admin call failed: " + path);
}

std::int64_t standins::calls(const std::string& name) const {
  auto s = state();
  if (auto* c = s.if_contains("calls"))
    if (auto* o = c->if_object())
      if (auto* n = o->if_contains(name)) return n->to_number<std::int64_t>();
  return 0;
}

json::object standin_config(const std::string& external_id) {
  return json::object{
      {"region", "us-east-1"},
      {"accountId", own_account},
      {"credentials", json::array{json::object{{"accessKeyId", own_key_id},
                                               {"secretAccessKey", own_secret},
                                               {"accountId", own_account}}}},
      {"roles", json::array{json::object{{"arn", customer_role},
                                         {"externalId", external_id},
                                         {"trustedAccounts", json::array{own_account}}}}},
      {"account", json::object{{"productionAccess", false},
                               {"sendingEnabled", true},
                               {"maxSendRate", 14},
                               {"max24HourSend", 200},
                               {"sentLast24Hours", 3}}}};
}

}  // namespace sesami::test
