// The one translation unit that compiles Boost.JSON for the server-side targets.
#include <sesami/json_src.hpp>
