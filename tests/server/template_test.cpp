// Stored templates over a real server (issue #20): the /templates routes, rendering with SES's
// rules, POST /mail and /mail/bulk sending one by name through the simulator, and who may do what.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include "support.hpp"

using namespace sesami::test;
namespace json = boost::json;

namespace {
using headers = std::vector<std::pair<std::string, std::string>>;

std::string new_workspace(const std::string& db, const std::string& name = "Shop") {
  auto r = run_sesami({"workspace", "create", name, "--db", db, "--json"});
  REQUIRE(r.status == 0);
  return s(json::parse(r.out).at("apiKey"));
}

struct api {
  http_client c;
  std::string key;
  http_response call(const std::string& method, const std::string& path,
                     const std::string& body = "") {
    headers h{{"Authorization", "Bearer " + key}};
    if (!body.empty()) h.emplace_back("Content-Type", "application/json");
    return c.request(method, path, body, h);
  }
};

const std::string receipt = R"({"name":"receipt","subject":"Order {{order.id}} for {{name}}",
  "text":"Hi {{name}},\n{{#each items}}\n- {{this.title}} x{{qty}}\n{{/each}}\nThanks",
  "html":"<p>Hi {{name}}</p>{{#if vip}}<b>VIP</b>{{/if}}"})";
const std::string data = R"({"name":"Ann","order":{"id":42},"items":[{"title":"Tea","qty":2}]})";
}  // namespace

TEST_CASE("templates: create, read, list, replace, render and delete", "[templates]") {
  temp_dir dir;
  const auto key = new_workspace(test_db(dir.path));
  server_process srv(dir.path);
  api a{http_client(srv.port()), key};

  auto made = a.call("POST", "/templates", receipt);
  INFO(made.body);
  REQUIRE(made.status == 201);
  CHECK(s(json::parse(made.body).at("name")) == "receipt");
  CHECK(a.call("POST", "/templates", receipt).status == 409);
  CHECK(code_of(a.call("POST", "/templates", receipt)) == "template.exists");
  REQUIRE(a.call("POST", "/templates", R"({"name":"a-2","subject":"S","text":"t"})").status == 201);

  auto list = a.call("GET", "/templates?limit=1");
  REQUIRE(list.status == 200);
  auto l = json::parse(list.body);
  CHECK(l.at("templates").as_array().size() == 1);
  CHECK(s(l.at("templates").at(0).at("name")) == "a-2");
  CHECK(s(l.at("storedIn")) == "sesami");
  auto rest = json::parse(a.call("GET", "/templates?cursor=" + s(l.at("next"))).body);
  CHECK(s(rest.at("templates").at(0).at("name")) == "receipt");
  CHECK(rest.at("next").is_null());

  auto one = json::parse(a.call("GET", "/templates/receipt").body);
  CHECK(s(one.at("html")) == "<p>Hi {{name}}</p>{{#if vip}}<b>VIP</b>{{/if}}");

  auto r = a.call("POST", "/templates/receipt/render", R"({"data":)" + data + "}");
  INFO(r.body);
  REQUIRE(r.status == 200);
  auto v = json::parse(r.body);
  CHECK(s(v.at("subject")) == "Order 42 for Ann");
  CHECK(s(v.at("text")) == "Hi Ann,\n- Tea x2\nThanks");
  CHECK(s(v.at("html")) == "<p>Hi Ann</p>");
  CHECK(v.at("missing").as_array().empty());
  auto partial = json::parse(a.call("POST", "/templates/receipt/render", R"({"data":{}})").body);
  CHECK(partial.at("missing") == json::parse(R"(["order.id","name"])"));

  auto put = a.call("PUT", "/templates/receipt", R"({"subject":"New {{name}}","text":"x"})");
  REQUIRE(put.status == 200);
  CHECK(s(json::parse(a.call("GET", "/templates/receipt").body).at("subject")) == "New {{name}}");
  CHECK(a.call("PUT", "/templates/nope", R"({"subject":"s","text":"x"})").status == 404);
  CHECK(
      a.call("PUT", "/templates/receipt", R"({"name":"other","subject":"s","text":"x"})").status ==
      400);

  CHECK(a.call("DELETE", "/templates/receipt").status == 204);
  CHECK(a.call("GET", "/templates/receipt").status == 404);
  CHECK(code_of(a.call("POST", "/templates/receipt/render", "{}")) == "template.not_found");
  CHECK(a.call("DELETE", "/templates/receipt").status == 404);
}

TEST_CASE("templates: bad templates are 400s that say what is wrong", "[templates]") {
  temp_dir dir;
  const auto key = new_workspace(test_db(dir.path));
  server_process srv(dir.path);
  api a{http_client(srv.port()), key};
  auto bad = [&](const std::string& body) {
    auto r = a.call("POST", "/templates", body);
    INFO(body << " → " << r.body);
    CHECK(r.status == 400);
    return json::parse(r.body).at("error");
  };
  CHECK(s(bad(R"({"name":"has space","subject":"s","text":"t"})").at("code")) == "validation.name");
  CHECK(s(bad(R"({"name":"x","text":"t"})").at("code")) == "validation.subject");
  CHECK(s(bad(R"({"name":"x","subject":"s"})").at("code")) == "validation.text");
  CHECK(s(bad(R"({"name":"x","subject":"s","text":"a\n{{#if x}}"})").at("message")) ==
        "the template does not parse: text: line 2: '{{#if}}' is not closed by {{/if}}");
  CHECK(s(bad(R"({"name":"x","subject":"s","text":"t","colour":"red"})").at("code")) ==
        "validation.field");
  CHECK(s(bad(R"({"name":"x","subject":"a\r\nBcc: x@y.z","text":"t"})").at("code")) ==
        "validation.subject");
  CHECK(a.call("POST", "/templates", "[]").status == 400);
  CHECK(a.call("GET", "/templates").status == 200);  // nothing half-written
  CHECK(json::parse(a.call("GET", "/templates").body).at("templates").as_array().empty());
}

TEST_CASE("templates: POST /mail and /mail/bulk send a stored template by name", "[templates]") {
  temp_dir dir;
  const auto key = new_workspace(test_db(dir.path));
  server_process srv(dir.path);
  api a{http_client(srv.port()), key};
  REQUIRE(a.call("POST", "/templates", receipt).status == 201);

  auto sent = a.call("POST", "/mail",
                     R"({"from":"shop@example.com","to":["success@simulator.amazonses.com"],
                         "template":"receipt","templateData":)" +
                         data + "}");
  INFO(sent.body);
  REQUIRE(sent.status == 200);
  auto att = json::parse(a.call("GET", "/mail/attempts?limit=10").body).at("attempts");
  REQUIRE(att.as_array().size() == 1);
  CHECK(s(att.at(0).at("subject")) == "Order 42 for Ann");  // rendered, as SES would

  // The object form too.
  auto obj = a.call("POST", "/mail",
                    R"({"from":"shop@example.com","to":["success@simulator.amazonses.com"],
                        "template":{"name":"receipt","data":)" +
                        data + "}}");
  CHECK(obj.status == 200);

  auto unknown = a.call("POST", "/mail",
                        R"({"from":"shop@example.com","to":["a@example.com"],"template":"nope"})");
  CHECK(unknown.status == 404);
  CHECK(code_of(unknown) == "template.not_found");
  auto missing = a.call("POST", "/mail",
                        R"({"from":"shop@example.com","to":["a@example.com"],"template":"receipt",
                            "templateData":{"name":"Ann"}})");
  CHECK(missing.status == 422);
  CHECK(code_of(missing) == "template.missing_data");
  CHECK(s(json::parse(missing.body).at("error").at("message")).find("order.id") !=
        std::string::npos);
  // Neither was attempted: nothing was sent.
  CHECK(
      json::parse(a.call("GET", "/mail/attempts?limit=10").body).at("attempts").as_array().size() ==
      2);
  CHECK(a.call("POST", "/mail",
               R"({"from":"shop@example.com","to":["a@example.com"],"templateData":{}})")
            .status == 400);

  auto bulk = a.call("POST", "/mail/bulk",
                     R"({"from":"shop@example.com","template":{"name":"nope"},
                         "destinations":[{"to":["a@example.com"]}]})");
  CHECK(bulk.status == 404);
  CHECK(a.call("POST", "/mail/bulk",
               R"({"from":"shop@example.com","template":{"name":"receipt","data":)" + data +
                   R"(},"destinations":[{"to":["success@simulator.amazonses.com"]}]})")
            .status == 202);
}

TEST_CASE("templates: admins write, read and send keys read and preview", "[templates]") {
  temp_dir dir;
  const auto key = new_workspace(test_db(dir.path));
  server_process srv(dir.path);
  api admin{http_client(srv.port()), key};
  REQUIRE(admin.call("POST", "/templates", receipt).status == 201);
  auto make = [&](const std::string& scope) {
    auto r = admin.call("POST", "/api-keys", R"({"name":"k","scope":")" + scope + "\"}");
    REQUIRE(r.status == 201);
    return api{http_client(srv.port()), s(json::parse(r.body).at("key"))};
  };
  for (const std::string scope : {"read", "send"}) {
    INFO(scope);
    auto k = make(scope);
    CHECK(k.call("GET", "/templates").status == 200);
    CHECK(k.call("GET", "/templates/receipt").status == 200);
    CHECK(k.call("POST", "/templates/receipt/render", R"({"data":{}})").status == 200);
    CHECK(k.call("POST", "/templates", R"({"name":"x","subject":"s","text":"t"})").status == 403);
    CHECK(k.call("PUT", "/templates/receipt", R"({"subject":"s","text":"t"})").status == 403);
    CHECK(k.call("DELETE", "/templates/receipt").status == 403);
  }
  CHECK(admin.call("GET", "/templates/receipt").status == 200);  // still there
  // Another workspace sees none of it.
  api other{http_client(srv.port()), new_workspace(test_db(dir.path), "Other")};
  CHECK(other.call("GET", "/templates/receipt").status == 404);
}
