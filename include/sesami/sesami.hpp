#pragma once
// Everything public in the SESami core. Boost.JSON's implementation is not included: add
// <sesami/json_src.hpp> to exactly one translation unit of your program.
#include <sesami/aggregate.hpp>
#include <sesami/aggregate_json.hpp>
#include <sesami/batch.hpp>
#include <sesami/categorize.hpp>
#include <sesami/error.hpp>
#include <sesami/event.hpp>
#include <sesami/filter.hpp>
#include <sesami/identity.hpp>
#include <sesami/parse.hpp>
#include <sesami/rollup.hpp>
#include <sesami/template.hpp>
#include <sesami/to_json.hpp>
#include <sesami/version.hpp>
