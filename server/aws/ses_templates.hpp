#pragma once
// A connected workspace's email templates in its SES account (issue #20): app::remote_templates
// over SES v2 CreateEmailTemplate, GetEmailTemplate, UpdateEmailTemplate, DeleteEmailTemplate and
// ListEmailTemplates with the workspace's assumed-role credentials (a fresh AssumeRole once when
// SES says they went stale). SES's errors become SESami's codes: AlreadyExistsException →
// template.exists, NotFoundException → template.not_found, BadRequestException →
// validation.template, a refused permission → aws.ses_permission.
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "app/templates.hpp"
#include "ses_transport.hpp"
#include "ses_v2.hpp"
#include "sts.hpp"

namespace sesami::aws {

class ses_templates final : public app::remote_templates {
 public:
  ses_templates(http_client& http, role_credentials& roles, connection_lookup lookup,
                std::string ses_endpoint_override = {});

  bool connected(std::string_view workspace) override;
  app::outcome<void> create(std::string_view workspace, const app::template_fields& t) override;
  app::outcome<store::stored_template> get(std::string_view workspace,
                                           std::string_view name) override;
  app::outcome<void> update(std::string_view workspace, const app::template_fields& t) override;
  app::outcome<void> remove(std::string_view workspace, std::string_view name) override;
  app::outcome<store::template_page> list(std::string_view workspace, std::string_view cursor,
                                          std::size_t limit) override;

 private:
  /// `op(client, credentials)` → ses_result<T>, with the workspace's role (once more with fresh
  /// credentials when SES says they went stale); failures mapped by template_failure.
  template <class T, class Op>
  app::outcome<T> run(std::string_view workspace, std::string_view name, Op op);
  ses_v2_client& client_for(const std::string& region);

  http_client& http_;
  role_credentials& roles_;
  connection_lookup lookup_;
  std::string endpoint_override_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<ses_v2_client>> clients_;
};

/// SES's error as SESami's failure (the mapping above); exposed for tests.
app::failure template_failure(const ses_error& e, std::string_view name);

}  // namespace sesami::aws
