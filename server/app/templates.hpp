#pragma once
// Email templates (issue #20) as a use case: create, read, list, replace, delete and render a
// workspace's stored templates. Where they live follows the workspace's sending: a workspace
// connected to SES keeps them in SES (CreateEmailTemplate … through the assumed role,
// remote_templates below), so SES renders what SESami sends; offline, the simulator's store keeps
// them. Rendering is sesami/template.hpp's either way (SES's Handlebars rules), so a preview and
// a simulated send show what SES would send. No sockets, no SQL.
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

#include <sesami/template.hpp>

#include "../store/template_store.hpp"
#include "auth.hpp"

namespace sesami::app {

/// SES's rules for a template name: 1-64 ASCII letters, digits, '_' or '-'.
bool valid_template_name(std::string_view name) noexcept;

/// A template as the API takes it ({"name", "subject", "text", "html"}).
struct template_fields {
  std::string name, subject, text, html;
};

/// The connected workspace's templates in SES (aws/ses_templates.cpp). Errors carry SESami codes
/// (template.exists, template.not_found, aws.*, mail.*).
class remote_templates {
 public:
  virtual ~remote_templates() = default;
  /// Whether `workspace` sends through SES (its templates are SES's).
  virtual bool connected(std::string_view workspace) = 0;
  virtual outcome<void> create(std::string_view workspace, const template_fields& t) = 0;
  virtual outcome<store::stored_template> get(std::string_view workspace,
                                              std::string_view name) = 0;
  virtual outcome<void> update(std::string_view workspace, const template_fields& t) = 0;
  virtual outcome<void> remove(std::string_view workspace, std::string_view name) = 0;
  /// `cursor`: SES's NextToken (empty: the first page).
  virtual outcome<store::template_page> list(std::string_view workspace, std::string_view cursor,
                                             std::size_t limit) = 0;
};

class template_service {
 public:
  explicit template_service(store::template_store& local, remote_templates* remote = nullptr,
                            template_limits limits = {});

  /// template.exists (409) when the name is taken; validation.* for a bad name or syntax.
  outcome<store::stored_template> create(std::string_view workspace, const template_fields& t);
  outcome<store::template_page> list(std::string_view workspace, std::string_view cursor,
                                     std::size_t limit);
  /// template.not_found (404) when there is none.
  outcome<store::stored_template> get(std::string_view workspace, std::string_view name);
  outcome<store::stored_template> update(std::string_view workspace, const template_fields& t);
  outcome<void> remove(std::string_view workspace, std::string_view name);
  /// The stored template rendered with `data` (an object); missing variables listed.
  outcome<rendered_template> render(std::string_view workspace, std::string_view name,
                                    const boost::json::value& data);
  /// For a send by the simulator (SESami's own templates, whatever the connection says): as
  /// render(), and template.missing_data (422) when a variable is missing — SES would not deliver
  /// it either (a Rendering Failure).
  outcome<rendered_template> render_for_send(std::string_view workspace, std::string_view name,
                                             std::string_view data_json);
  /// Whether the workspace's templates are SES's (it is connected).
  bool in_ses(std::string_view workspace);

 private:
  outcome<void> check(const template_fields& t) const;
  /// The stored template parsed: from the cache while its source is unchanged.
  outcome<std::shared_ptr<const compiled_template>> compiled(const store::stored_template& t);
  store::template_store& local_;
  remote_templates* remote_;
  template_limits limits_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<const compiled_template>, std::less<>> cache_;
};

}  // namespace sesami::app
