# cmake -DDIR=<deploy/templates> -DOUT=<cfn_templates.cpp> -P embed_templates.cmake
# Writes the customer templates as raw string literals behind onboarding.hpp's customer_template().
# OUT is replaced only when its text changes, so an unchanged template rebuilds nothing.
set(body "// Generated from deploy/templates by server/app/embed_templates.cmake: do not edit.\n")
string(APPEND body "#include \"onboarding.hpp\"\n\nnamespace sesami::app {\n")
string(APPEND body "std::string_view customer_template(std::string_view mode) noexcept {\n")
foreach(mode sqs api-destination event-bus)
  file(READ "${DIR}/sesami-customer-${mode}.json" json)
  string(FIND "${json}" ")sesami_cfn\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "sesami-customer-${mode}.json contains the raw string delimiter")
  endif()
  string(APPEND body "  if (mode == \"${mode}\")\n    return R\"sesami_cfn(${json})sesami_cfn\";\n")
endforeach()
string(APPEND body "  return {};\n}\n}  // namespace sesami::app\n")
file(WRITE "${OUT}.tmp" "${body}")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")
