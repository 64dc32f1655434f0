#pragma once
// gzip for streamed answers (router.hpp, body_stream): a body compressed piece by piece as it is
// made, with zlib's fixed-size state, so compression keeps the stream's memory bound.
#include <memory>
#include <string>
#include <string_view>

#include "router.hpp"

namespace sesami::http {

/// Whether the request's Accept-Encoding takes gzip (a "gzip" or "x-gzip" coding whose q is not 0,
/// or "*" with q above 0 and no gzip refusal).
bool accepts_gzip(std::string_view accept_encoding);

/// `inner`'s pieces, gzip-compressed (RFC 1952). Each piece is flushed whole (Z_SYNC_FLUSH), so a
/// reader decompressing as it reads sees every event of a piece once that piece arrives.
std::shared_ptr<body_stream> gzip_stream(std::shared_ptr<body_stream> inner);

}  // namespace sesami::http
