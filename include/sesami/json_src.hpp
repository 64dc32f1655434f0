#pragma once
// Boost.JSON's implementation, compiled header-only. Include from exactly one translation unit per
// executable (the native program, each test binary, the wasm module): it defines non-inline
// symbols.
#include <boost/json/src.hpp>
