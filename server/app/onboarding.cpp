#include "onboarding.hpp"

#include <cstdlib>
#include <regex>
#include <utility>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace sesami::app {
namespace {

namespace json = boost::json;

/// Two-space indented JSON, keys in the template's order, for a file people read before uploading.
void pretty(const json::value& v, std::string& out, int depth) {
  const std::string pad(static_cast<std::size_t>(depth + 1) * 2, ' ');
  const std::string close(static_cast<std::size_t>(depth) * 2, ' ');
  if (const auto* o = v.if_object()) {
    if (o->empty()) {
      out += "{}";
      return;
    }
    out += "{\n";
    bool first = true;
    for (const auto& kv : *o) {
      if (!first) out += ",\n";
      first = false;
      out += pad + json::serialize(json::string(kv.key())) + ": ";
      pretty(kv.value(), out, depth + 1);
    }
    out += "\n" + close + "}";
  } else if (const auto* a = v.if_array()) {
    if (a->empty()) {
      out += "[]";
      return;
    }
    out += "[\n";
    for (std::size_t i = 0; i < a->size(); ++i) {
      if (i) out += ",\n";
      out += pad;
      pretty((*a)[i], out, depth + 1);
    }
    out += "\n" + close + "]";
  } else {
    out += json::serialize(v);
  }
}

std::int64_t int_of(const json::value* v, std::int64_t otherwise) {
  if (v && v->is_int64()) return v->get_int64();
  if (v && v->is_uint64()) return static_cast<std::int64_t>(v->get_uint64());
  return otherwise;
}

/// The parameter's own constraints (AllowedPattern, MinLength, MaxLength), as CloudFormation
/// would check them on deploy; the failure names the parameter and the constraint's wording.
outcome<void> check_value(const std::string& name, const json::object& po,
                          const std::string& value) {
  bool ok = true;
  const auto len = static_cast<std::int64_t>(value.size());
  ok = len >= int_of(po.if_contains("MinLength"), 0) &&
       len <= int_of(po.if_contains("MaxLength"), 4096);
  if (ok)
    if (const auto* pat = po.if_contains("AllowedPattern"); pat && pat->is_string())
      ok = std::regex_match(value, std::regex(std::string(pat->get_string())));
  if (ok) return {};
  const auto* why = po.if_contains("ConstraintDescription");
  return failure{"validation.parameter",
                 name + " '" + value + "' is not valid: " +
                     (why && why->is_string() ? std::string(why->get_string())
                                              : std::string("see the template"))};
}

}  // namespace

std::string shell_quote(std::string_view s) {
  if (!s.empty() && s.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                        "0123456789@%_+=:,./-") == std::string_view::npos)
    return std::string(s);
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string configured_sesami_account() {
  const char* v = std::getenv("SESAMI_AWS_ACCOUNT_ID");
  return v ? std::string(v) : std::string();
}

outcome<filled_template> fill_customer_template(const template_request& r) {
  const auto source = customer_template(r.mode);
  if (source.empty())
    return failure{"validation.mode",
                   "no template for mode '" + r.mode + "': sqs, api-destination or event-bus"};
  if (r.identities.size() > 5)
    return failure{"validation.identities",
                   "at most 5 sending identities (the template has 5 slots)"};
  if (r.external_id.empty())
    return failure{"validation.parameter", "the workspace has no External ID"};
  boost::system::error_code ec;
  auto tpl = json::parse(source, ec);
  if (ec || !tpl.is_object() || !tpl.as_object()["Parameters"].is_object())
    return failure{"sesami.template", "the embedded " + r.mode + " template does not parse"};
  auto& params = tpl.as_object()["Parameters"].as_object();

  std::vector<std::pair<std::string, std::string>> values{{"ExternalId", r.external_id}};
  if (!r.sesami_account.empty()) values.emplace_back("SesamiAccountId", r.sesami_account);
  if (!r.configuration_set.empty())
    values.emplace_back("ConfigurationSetName", r.configuration_set);
  for (std::size_t i = 0; i < r.identities.size(); ++i)
    if (!r.identities[i].empty())
      values.emplace_back("SendingIdentity" + std::to_string(i + 1), r.identities[i]);
  if (r.mode == "api-destination" && !r.ingest_url.empty())
    values.emplace_back("IngestUrl", r.ingest_url);
  if (r.mode == "event-bus" && !r.event_bus_arn.empty())
    values.emplace_back("SesamiEventBusArn", r.event_bus_arn);

  filled_template out;
  out.mode = r.mode;
  out.file_name = r.file_name.empty() ? "sesami-" + r.mode + ".json" : r.file_name;
  for (const auto& [name, value] : values) {
    auto* p = params.if_contains(name);
    if (!p || !p->is_object())
      return failure{"sesami.template", "the " + r.mode + " template has no parameter " + name};
    auto& po = p->as_object();
    if (auto c = check_value(name, po, value); !c) return c.error();
    po["Default"] = value;
  }

  // The command line: every required parameter without a default appears as a placeholder; the
  // secret comes from the environment so it never lands in a shell history or on a page.
  out.command = "aws cloudformation deploy --stack-name " + shell_quote(r.stack_name) +
                " \\\n  --template-file " + shell_quote(out.file_name) +
                " \\\n  --capabilities CAPABILITY_IAM";
  std::string overrides;
  for (const auto& kv : params) {
    const std::string name(kv.key());
    const auto& po = kv.value().as_object();
    if (const auto* d = po.if_contains("Default")) {
      out.parameters[name] = *d;
      continue;
    }
    if (name == "IngestSecret") {
      overrides += " \\\n      IngestSecret=\"$SESAMI_INGEST_SECRET\"";
    } else {
      overrides += " \\\n      " + name + "=<" + name + ">";
      out.missing.push_back(name);
    }
  }
  if (!overrides.empty()) out.command += " \\\n  --parameter-overrides" + overrides;
  pretty(tpl, out.text, 0);
  out.text += "\n";
  return out;
}

}  // namespace sesami::app
