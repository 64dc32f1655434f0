#pragma once
// The HTTP/1.1 listener and its sessions (Boost.Beast): keep-alive, limits, timeouts, graceful
// shutdown. Socket I/O runs on a few I/O threads; handlers run on a worker pool so that handlers
// waiting for a group commit do not stall other connections.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "metrics.hpp"
#include "router.hpp"

namespace sesami::http {

struct server_config {
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;                             // 0: any free port (see server::port())
  std::uint64_t body_limit = 1 << 20;                 // larger bodies: 413
  std::uint32_t header_limit = 16 * 1024;             // larger headers: 431
  std::chrono::milliseconds request_timeout{30'000};  // a whole request must arrive within this
  std::chrono::milliseconds idle_timeout{60'000};     // a kept-alive connection may idle this long
  // Beyond: 503 and close. `sesami serve` derives its default from the descriptor limit
  // (fd_limits.hpp).
  std::size_t max_connections = 4096;
  // Connections one client address may hold (beyond: 503 and close), so that one client cannot
  // make everyone else get 503; 0: default_max_connections_per_client(max_connections).
  std::size_t max_connections_per_client = 0;
  // Out of descriptors (EMFILE, ENFILE) accepting pauses this long instead of spinning.
  std::chrono::milliseconds accept_backoff{100};
  unsigned io_threads = 2;
  unsigned worker_threads = 64;
  std::chrono::milliseconds drain_timeout{15'000};  // graceful shutdown waits at most this
};

class server {
 public:
  server(server_config cfg, const router& r, metrics& m);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// Binds and starts serving; false with a reason when the address cannot be bound.
  bool start(std::string& error);
  /// The bound port (useful with port 0).
  std::uint16_t port() const noexcept;
  /// Stops accepting, lets in-flight requests finish (their responses say Connection: close),
  /// closes idle connections, then joins every thread. Safe to call from any thread, once or more.
  void stop();
  /// Blocks until stop() has completed.
  void wait();

  struct impl;  // public so the sessions in server.cpp can name it; defined only there

 private:
  std::unique_ptr<impl> impl_;
};

}  // namespace sesami::http
