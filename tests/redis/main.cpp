// The Redis test binary: Catch2's main. Boost.JSON's implementation comes from sesami_json.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
