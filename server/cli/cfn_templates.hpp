#pragma once
// The customer onboarding CloudFormation templates (deploy/templates/sesami-customer-<mode>.json),
// embedded at build time by embed_templates.cmake so an installed `sesami` hands them out without
// the source tree.
#include <string_view>

namespace sesami::cli {
/// The template for "sqs", "api-destination" or "event-bus"; empty for any other mode.
std::string_view customer_template(std::string_view mode) noexcept;
}  // namespace sesami::cli
