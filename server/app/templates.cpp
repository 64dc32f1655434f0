// Email templates: the checks every template passes (name, size, syntax) before it is stored in
// SESami or in SES, and rendering with the core's SES rules.
#include "templates.hpp"

#include <boost/json/parse.hpp>

#include "import.hpp"  // now_ms

namespace sesami::app {

bool valid_template_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
          c == '-'))
      return false;
  return true;
}

namespace {
failure not_found(std::string_view name) {
  return {"template.not_found", "there is no template named '" + std::string(name) + "'"};
}
failure from_core(const sesami::error& e, std::string_view what) {
  return {"validation.template", std::string(what) + ": " + e.message};
}
}  // namespace

template_service::template_service(store::template_store& local, remote_templates* remote,
                                   template_limits limits)
    : local_(local), remote_(remote), limits_(limits) {}

bool template_service::in_ses(std::string_view workspace) {
  return remote_ && remote_->connected(workspace);
}

outcome<void> template_service::check(const template_fields& t) const {
  if (!valid_template_name(t.name))
    return failure{"validation.name", "name: 1-64 ASCII letters, digits, '_' or '-' (SES's rule)"};
  if (t.subject.empty()) return failure{"validation.subject", "subject is required"};
  if (t.subject.find_first_of("\r\n") != std::string::npos)
    return failure{"validation.subject", "subject: one line (no CR or LF)"};
  if (t.text.empty() && t.html.empty())
    return failure{"validation.text", "text or html is required"};
  if (auto st = check_template({t.subject, t.text, t.html}, limits_); !st)
    return from_core(st.error(), "the template does not parse");
  return {};
}

outcome<store::stored_template> template_service::create(std::string_view workspace,
                                                         const template_fields& t) {
  if (auto st = check(t); !st) return st.error();
  store::stored_template row{
      std::string(workspace), t.name, t.subject, t.text, t.html, now_ms(), now_ms()};
  if (in_ses(workspace)) {
    if (auto r = remote_->create(workspace, t); !r) return r.error();
    return row;
  }
  auto r = local_.create_template(row);
  if (!r) return from_store(r.error());
  if (!*r)
    return failure{"template.exists", "a template named '" + t.name + "' exists: PUT replaces it"};
  return row;
}

outcome<store::template_page> template_service::list(std::string_view workspace,
                                                     std::string_view cursor, std::size_t limit) {
  if (in_ses(workspace)) return remote_->list(workspace, cursor, limit);
  auto r = local_.list_templates(workspace, cursor, limit);
  if (!r) return from_store(r.error());
  return std::move(*r);
}

outcome<store::stored_template> template_service::get(std::string_view workspace,
                                                      std::string_view name) {
  if (!valid_template_name(name)) return not_found(name);
  if (in_ses(workspace)) return remote_->get(workspace, name);
  auto r = local_.find_template(workspace, name);
  if (!r) return from_store(r.error());
  if (!*r) return not_found(name);
  return std::move(**r);
}

outcome<store::stored_template> template_service::update(std::string_view workspace,
                                                         const template_fields& t) {
  if (auto st = check(t); !st) return st.error();
  store::stored_template row{
      std::string(workspace), t.name, t.subject, t.text, t.html, 0, now_ms()};
  if (in_ses(workspace)) {
    if (auto r = remote_->update(workspace, t); !r) return r.error();
    return row;
  }
  auto r = local_.update_template(row);
  if (!r) return from_store(r.error());
  if (!*r) return not_found(t.name);
  auto stored = local_.find_template(workspace, t.name);
  if (stored && *stored) return std::move(**stored);
  return row;
}

outcome<void> template_service::remove(std::string_view workspace, std::string_view name) {
  if (!valid_template_name(name)) return not_found(name);
  if (in_ses(workspace)) return remote_->remove(workspace, name);
  auto r = local_.delete_template(workspace, name);
  if (!r) return from_store(r.error());
  if (!*r) return not_found(name);
  return {};
}

outcome<rendered_template> template_service::render(std::string_view workspace,
                                                    std::string_view name,
                                                    const boost::json::value& data) {
  auto t = get(workspace, name);
  if (!t) return t.error();
  auto c = compiled(*t);
  if (!c) return c.error();
  auto r = render_template(**c, data, limits_);
  if (!r) return from_core(r.error(), "the template does not render");
  return std::move(*r);
}

outcome<std::shared_ptr<const compiled_template>> template_service::compiled(
    const store::stored_template& t) {
  const std::string key = t.workspace + '\x1f' + t.name;
  {
    std::lock_guard lock(mu_);
    if (auto it = cache_.find(key); it != cache_.end()) {
      const auto& src = it->second->source;  // the row was read just now: same text, same parse
      if (src.subject == t.subject && src.text == t.text && src.html == t.html) return it->second;
    }
  }
  auto c = compile_template({t.subject, t.text, t.html}, limits_);
  if (!c)
    return failure{"validation.template",
                   "template '" + t.name + "' does not parse: " + c.error().message};
  auto shared = std::make_shared<const compiled_template>(std::move(*c));
  std::lock_guard lock(mu_);
  if (cache_.size() >= 1000) cache_.clear();  // bounded; a busy sender refills what it uses
  cache_[key] = shared;
  return shared;
}

outcome<rendered_template> template_service::render_for_send(std::string_view workspace,
                                                             std::string_view name,
                                                             std::string_view data_json) {
  // The simulator's send (the mailer chose it): SESami's own row, no look at the AWS connection.
  if (!valid_template_name(name)) return not_found(name);
  auto row = local_.find_template(workspace, name);
  if (!row) return from_store(row.error());
  if (!*row) return not_found(name);
  const auto& t = *row;
  auto c = compiled(*t);
  if (!c) return c.error();
  auto data = parse_template_data(data_json, limits_);
  if (!data) return from_core(data.error(), "template data");
  auto r = render_template(**c, *data, limits_);
  if (!r) return from_core(r.error(), "template '" + std::string(name) + "' does not render");
  if (!r->missing.empty()) {
    std::string list;
    for (const auto& m : r->missing) list += (list.empty() ? "" : ", ") + m;
    return failure{"template.missing_data",
                   "template '" + std::string(name) + "' needs data it was not given: " + list +
                       " (SES would not deliver this mail: a Rendering Failure)"};
  }
  return std::move(*r);
}

}  // namespace sesami::app
