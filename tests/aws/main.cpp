// Catch2's main for the AWS tests (Boost.JSON comes compiled from sesami_json).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
