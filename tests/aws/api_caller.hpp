#pragma once
// What the AWS suites' HTTP tests need to drive a spawned `sesami serve`: the CLI run to create
// a workspace, and calls with its API key.
#include <cstdio>
#include <string>
#include <utility>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "aws/http_client.hpp"

namespace sesami::test {

/// Runs a shell command; the test fails unless it exits 0. Answers what it printed.
inline std::string run_command(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p);
  char buf[512];
  while (auto n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  REQUIRE(pclose(p) == 0);
  return out;
}

/// Calls the API at `base` with `key` as the bearer token.
struct api_caller {
  std::string base, key;
  aws::http_client http;

  std::pair<long, std::string> call(const std::string& method, const std::string& path,
                                    const std::string& body = "") {
    aws::http_request r{method, base + path, {{"Authorization", "Bearer " + key}},
                        body,   20000,       2000};
    if (!body.empty()) r.headers.push_back({"Content-Type", "application/json"});
    auto res = http.perform(r);
    REQUIRE(res.has_value());
    return {res->status, res->body};
  }
  /// The same with the body parsed (null when empty).
  std::pair<long, boost::json::value> call_json(const std::string& method, const std::string& path,
                                                const std::string& body = "") {
    auto [status, text] = call(method, path, body);
    boost::json::value v;
    if (!text.empty()) v = boost::json::parse(text);
    return {status, v};
  }
};

}  // namespace sesami::test
