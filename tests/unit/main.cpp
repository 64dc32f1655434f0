// Catch2's main, and the one place the core test binary compiles Boost.JSON.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
#include <sesami/json_src.hpp>
