// docs/openapi.yaml and the router agree: every route is documented and every documented path
// and method is a route.
#include <regex>
#include <set>
#include <sstream>

#include <boost/beast/http/verb.hpp>
#include <catch2/catch.hpp>

#include "../../server/app/auth.hpp"
#include "../../server/http/api.hpp"
#include "support.hpp"

using namespace sesami;

TEST_CASE("every route is in docs/openapi.yaml and vice versa", "[openapi]") {
  test::temp_dir dir;
  store::open_options so;
  so.path = (dir.path / "o.db").string();
  auto st = store::open_sqlite(so);
  REQUIRE(st.has_value());
  auto acc = store::open_sqlite_accounts(so.path);
  REQUIRE(acc.has_value());
  app::auth auth(**st, **acc);
  aws::sns_verifier sns(aws::sns_verifier_options{});
  http::metrics m;
  http::router r;
  http::api_deps deps{**st, **acc, auth, sns, m};
  http::add_api_routes(r, deps, {});

  std::set<std::string> routed;
  for (const auto& rt : r.routes()) {
    std::string method(boost::beast::http::to_string(rt.method));
    for (auto& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    routed.insert(method + " " + rt.pattern);
  }

  std::set<std::string> documented;
  std::istringstream yaml(test::read_file(std::string(SESAMI_SOURCE_DIR) + "/docs/openapi.yaml"));
  const std::regex path_re(R"(^  (/[^:]*):\s*$)"),
      method_re(R"(^    (get|post|put|patch|delete):)");
  std::string line, path;
  bool in_paths = false;
  while (std::getline(yaml, line)) {
    if (line == "paths:")
      in_paths = true;
    else if (!line.empty() && line[0] != ' ')
      in_paths = false;
    if (!in_paths) continue;
    std::smatch mt;
    if (std::regex_match(line, mt, path_re))
      path = mt[1];
    else if (std::regex_search(line, mt, method_re))
      documented.insert(std::string(mt[1]) + " " + path);
  }
  CHECK(routed.size() > 20);
  CHECK(routed == documented);
}
