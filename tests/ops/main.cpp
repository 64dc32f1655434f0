// The operations tests (issue #21): backup, the service's environment and installed layout,
// streaming parse and aggregate. Catch2's main; Boost.JSON's implementation from sesami_json.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
