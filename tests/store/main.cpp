// Catch2's main for the store suite. Boost.JSON's implementation comes from sesami_json (linked
// through sesami_app), so it is not compiled here.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
