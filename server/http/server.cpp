#include "server.hpp"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "fd_limits.hpp"
#include "log.hpp"

namespace sesami::http {
namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

class session;

struct server::impl {
  server_config cfg;
  const router& routes;
  metrics& stats;
  std::atomic<bool> draining{false};
  std::atomic<std::size_t> connections{0};
  std::atomic<std::uint64_t> next_id{0};
  std::string id_prefix;

  std::mutex mu;  // guards sessions, per_client, stopped, stopping
  std::condition_variable cv;
  std::unordered_map<session*, std::weak_ptr<session>> sessions;
  std::unordered_map<std::string, std::size_t> per_client;  // open connections by client address
  bool stopped = false;
  bool stopping = false;

  // Declared after the state above: destroying them destroys pending handlers, whose sessions
  // unregister themselves through mu and sessions.
  asio::io_context io;
  asio::thread_pool workers;
  tcp::acceptor acceptor;
  asio::steady_timer accept_pause;  // out of descriptors: accepting resumes when it fires
  std::vector<std::thread> threads;
  // Accept failures, logged at most once a second (touched by the accept handler only: one
  // accept is outstanding at a time).
  std::chrono::steady_clock::time_point accept_logged{};
  std::uint64_t accept_failures_unlogged = 0;

  impl(server_config c, const router& r, metrics& m)
      : cfg(std::move(c)),
        routes(r),
        stats(m),
        workers(cfg.worker_threads),
        acceptor(io),
        accept_pause(io) {
    if (cfg.max_connections_per_client == 0)
      cfg.max_connections_per_client = default_max_connections_per_client(cfg.max_connections);
    // Request ids: a per-process random prefix and a counter — unique, cheap, and not guessable
    // enough to matter (they are labels, not secrets).
    std::random_device rd;
    char buf[9];
    std::snprintf(buf, sizeof buf, "%08x", rd());
    id_prefix = buf;
  }
  std::string new_request_id() {
    return id_prefix + "-" + std::to_string(next_id.fetch_add(1, std::memory_order_relaxed));
  }
  void do_accept();
  void accept_failed(const beast::error_code& ec);
  void session_closed(session* s, const std::string& remote) {
    std::lock_guard lock(mu);
    sessions.erase(s);
    if (auto it = per_client.find(remote); it != per_client.end() && --it->second == 0)
      per_client.erase(it);
    connections.fetch_sub(1);
    stats.connections_add(-1);
    cv.notify_all();
  }
};

namespace {
// Every answer, whatever made it: never sniffed into another type, no referrer to other sites, and,
// unless the handler set its own (the dashboard, the unsubscribe page), a policy under which a
// JSON answer rendered as a page runs nothing and cannot be framed.
void set_security_headers(response& res) {
  res.set("X-Content-Type-Options", "nosniff");
  if (res.find("Referrer-Policy") == res.end()) res.set("Referrer-Policy", "no-referrer");
  if (res.find("Content-Security-Policy") == res.end())
    res.set("Content-Security-Policy",
            "default-src 'none'; frame-ancestors 'none'; base-uri 'none'");
}
}  // namespace

class session : public std::enable_shared_from_this<session> {
 public:
  session(tcp::socket&& socket, server::impl& srv, std::string remote, bool reject)
      : stream_(std::move(socket)), srv_(srv), remote_(std::move(remote)), reject_(reject) {}
  ~session() { srv_.session_closed(this, remote_); }

  void run() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      if (self->reject_) return self->refuse_overloaded();
      self->do_read(true);
    });
  }

  // Called at shutdown: a connection waiting for its next request is closed now; one with a
  // request in progress finishes it and closes after the response.
  void close_if_idle() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      if (!self->busy_) self->close();
    });
  }

 private:
  void do_read(bool first) {
    if (srv_.draining.load()) return close();
    parser_.emplace();
    parser_->body_limit(srv_.cfg.body_limit);
    parser_->header_limit(srv_.cfg.header_limit);
    // One deadline for the whole request: a slow client (slowloris) cannot hold a connection
    // longer than this, however it trickles its bytes. Between kept-alive requests the idle
    // timeout applies.
    stream_.expires_after(first ? srv_.cfg.request_timeout
                                : std::max(srv_.cfg.idle_timeout, srv_.cfg.request_timeout));
    beast::http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (ec == beast::http::error::end_of_stream || ec == asio::error::operation_aborted ||
        ec == beast::error::timeout || ec == asio::error::connection_reset ||
        ec == asio::error::eof)
      return close();
    if (ec == beast::http::error::body_limit)
      return send_early_error({std::string(code::payload_too_large), "request body too large"});
    if (ec == beast::http::error::header_limit)
      return send_early_error({std::string(code::header_too_large), "request header too large"});
    if (ec) {
      if (ec.category() == beast::http::make_error_code(beast::http::error::bad_method).category())
        return send_early_error({std::string(code::bad_request), "malformed HTTP request"});
      return close();
    }
    busy_ = true;
    auto req = std::make_shared<request>(parser_->release());
    // RFC 9112 §3.2: a server must answer 400 to an HTTP/1.1 request without Host. (Nothing here
    // routes by Host; the rule keeps requests that no browser or client library sends out.)
    if (req->version() >= 11 && req->find(beast::http::field::host) == req->end()) {
      return send_early_error(
          {std::string(code::bad_request), "HTTP/1.1 requests need a Host header"});
    }
    const auto started = std::chrono::steady_clock::now();
    srv_.stats.in_flight_add(1);
    asio::post(srv_.workers, [self = shared_from_this(), req, started] {
      std::string_view route;
      std::string id = self->srv_.new_request_id();
      std::shared_ptr<body_stream> body;
      auto res = std::make_shared<response>(
          self->srv_.routes.handle(*req, id, self->remote_, &route, &body));
      const double secs =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      self->srv_.stats.in_flight_add(-1);
      self->srv_.stats.record_request(
          std::string_view(req->method_string().data(), req->method_string().size()), route,
          res->result_int(), secs);
      if (log::enabled(spdlog::level::info) || res->result_int() >= 500)
        log::write(
            res->result_int() >= 500 ? spdlog::level::err : spdlog::level::info, "request",
            {{"requestId", id},
             {"method", std::string_view(req->method_string().data(), req->method_string().size())},
             {"route", route},
             {"status", res->result_int()},
             {"us", static_cast<std::int64_t>(secs * 1e6)},
             {"remote", self->remote_}});
      if (req->method() == beast::http::verb::head) {
        res->body().clear();
        body.reset();
      }
      if (body)
        asio::post(self->stream_.get_executor(),
                   [self, res, body] { self->write_streamed(res, body); });
      else
        asio::post(self->stream_.get_executor(), [self, res] { self->write(res); });
    });
  }

  // A streamed body (router.hpp, body_stream): the headers with chunked transfer encoding, then
  // one chunk per piece, then the last chunk. The next piece is made on a worker while the current
  // one is written — one piece ahead, never more — so reading the store and writing the socket
  // overlap, and memory stays at two pieces whatever the body's size. Each write has the request
  // timeout: a reader that stops reading is dropped.
  struct streaming {
    std::shared_ptr<response> res;
    std::shared_ptr<body_stream> body;
    std::string ready;        // made, not yet written
    bool have_ready = false;  // `ready` holds the next piece (or the end: more false)
    bool more = true, failed = false;
    bool producing = false, writing = false, done = false;
  };

  void write_streamed(std::shared_ptr<response> res, std::shared_ptr<body_stream> body) {
    if (srv_.draining.load()) res->keep_alive(false);
    set_security_headers(*res);
    // HTTP/1.0 has no chunks: the body ends where the connection does.
    if (res->version() >= 11)
      res->chunked(true);
    else
      res->keep_alive(false);
    auto st = std::make_shared<streaming>();
    st->res = std::move(res);
    st->body = std::move(body);
    produce(st);  // the first piece is made while the headers go out
    auto sr =
        std::make_shared<beast::http::response_serializer<beast::http::string_body>>(*st->res);
    stream_.expires_after(srv_.cfg.request_timeout);
    st->writing = true;
    beast::http::async_write_header(
        stream_, *sr, [self = shared_from_this(), st, sr](beast::error_code ec, std::size_t) {
          st->writing = false;
          if (ec) return self->finish_stream(*st, false);
          self->pump(st);
        });
  }

  // On the strand: makes the next piece on a worker; pump() takes it when it arrives.
  void produce(const std::shared_ptr<streaming>& st) {
    st->producing = true;
    asio::post(srv_.workers, [self = shared_from_this(), st] {
      std::string piece;
      bool more = false, failed = false;
      try {
        more = st->body->next(piece);
        failed = !more && st->body->failed();
      } catch (const std::exception& e) {
        failed = true;
        log::error("streamed answer failed", {{"error", e.what()}});
      }
      asio::post(self->stream_.get_executor(),
                 [self, st, piece = std::move(piece), more, failed]() mutable {
                   st->producing = false;
                   st->ready = std::move(piece);
                   st->have_ready = true;
                   st->more = more;
                   st->failed = failed;
                   self->pump(st);
                 });
    });
  }

  // On the strand: writes the ready piece if the socket is free, and starts making the next.
  void pump(const std::shared_ptr<streaming>& st) {
    if (st->done || st->writing || !st->have_ready) return;
    st->have_ready = false;
    if (st->failed) return finish_stream(*st, false);  // no last chunk: the body is incomplete
    const bool chunked = st->res->chunked();
    stream_.expires_after(srv_.cfg.request_timeout);
    if (!st->more) {
      if (!chunked) return finish_stream(*st, false);
      st->writing = true;
      return asio::async_write(stream_, beast::http::make_chunk_last(),
                               [self = shared_from_this(), st](beast::error_code ec, std::size_t) {
                                 st->writing = false;
                                 self->finish_stream(*st, !ec && st->res->keep_alive());
                               });
    }
    auto piece = std::make_shared<std::string>(std::move(st->ready));
    produce(st);                 // the next piece, while this one is written
    if (piece->empty()) return;  // pump runs again when the next one is made
    auto written = [self = shared_from_this(), st, piece](beast::error_code ec, std::size_t) {
      st->writing = false;
      if (ec) return self->finish_stream(*st, false);
      self->pump(st);
    };
    st->writing = true;
    if (chunked)
      asio::async_write(stream_, beast::http::make_chunk(asio::buffer(*piece)), std::move(written));
    else
      asio::async_write(stream_, asio::buffer(*piece), std::move(written));
  }

  void finish_stream(streaming& st, bool keep_alive) {
    if (st.done) return;
    st.done = true;
    end_stream(keep_alive);
  }

  void end_stream(bool keep_alive) {
    busy_ = false;
    if (!keep_alive) return close();
    do_read(false);
  }

  void send_early_error(const api_error& e) {
    // The request could not be read whole, so the connection's framing is lost: answer and close.
    request dummy;
    dummy.version(11);
    auto res = std::make_shared<response>(error_response(dummy, srv_.new_request_id(), e));
    res->keep_alive(false);
    srv_.stats.record_request("?", "unreadable", res->result_int(), 0);
    busy_ = true;
    write(res);
  }

  void refuse_overloaded() {
    request dummy;
    dummy.version(11);
    auto res = std::make_shared<response>(
        error_response(dummy, srv_.new_request_id(),
                       {std::string(code::overloaded), "too many connections; retry later"}));
    res->keep_alive(false);
    busy_ = true;
    write(res);
  }

  void write(std::shared_ptr<response> res) {
    if (srv_.draining.load()) res->keep_alive(false);
    set_security_headers(*res);
    const bool close_after = !res->keep_alive();
    stream_.expires_after(srv_.cfg.request_timeout);
    beast::http::async_write(
        stream_, *res,
        [self = shared_from_this(), res, close_after](beast::error_code ec, std::size_t) {
          self->busy_ = false;
          if (ec || close_after) return self->close();
          self->do_read(false);
        });
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.socket().close(ec);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<beast::http::request_parser<beast::http::string_body>> parser_;
  server::impl& srv_;
  std::string remote_;
  bool reject_ = false;
  bool busy_ = false;
  bool closed_ = false;
};

void server::impl::do_accept() {
  acceptor.async_accept(asio::make_strand(io), [this](beast::error_code ec, tcp::socket socket) {
    if (ec) return accept_failed(ec);
    if (draining.load()) return;
    beast::error_code rec;
    const auto ep = socket.remote_endpoint(rec);
    std::string remote = rec ? std::string() : ep.address().to_string();
    // Refused connections are answered 503 and closed at once (session::refuse_overloaded): a
    // client over its share, or anyone once the server is full. Counted while open, like any.
    auto s = std::shared_ptr<session>();
    {
      std::lock_guard lock(mu);
      std::size_t& mine = per_client[remote];
      const bool reject =
          connections.load() >= cfg.max_connections || mine >= cfg.max_connections_per_client;
      ++mine;
      s = std::make_shared<session>(std::move(socket), *this, std::move(remote), reject);
      sessions.emplace(s.get(), s);
      connections.fetch_add(1);
      stats.connections_add(1);
    }
    s->run();
    do_accept();
  });
}

void server::impl::accept_failed(const beast::error_code& ec) {
  if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
  // A connection reset before it was accepted: nothing is wrong here, accept the next.
  if (ec == asio::error::connection_aborted) return do_accept();
  // Out of descriptors (EMFILE, ENFILE) or memory: the pending connection stays in the backlog and
  // the listening socket stays readable, so accepting again at once fails again at once — a core
  // spinning and a log line per attempt. Pause instead; connections closing free descriptors.
  ++accept_failures_unlogged;
  const auto now = std::chrono::steady_clock::now();
  if (now - accept_logged >= std::chrono::seconds(1)) {
    log::warn("accept failed; pausing accepts",
              {{"error", ec.message()},
               {"failures", accept_failures_unlogged},
               {"pauseMs", static_cast<std::int64_t>(cfg.accept_backoff.count())},
               {"connections", connections.load()}});
    accept_logged = now;
    accept_failures_unlogged = 0;
  }
  accept_pause.expires_after(cfg.accept_backoff);
  accept_pause.async_wait([this](beast::error_code wec) {
    if (wec || draining.load() || !acceptor.is_open()) return;
    do_accept();
  });
}

server::server(server_config cfg, const router& r, metrics& m)
    : impl_(std::make_unique<impl>(std::move(cfg), r, m)) {}

server::~server() { stop(); }

bool server::start(std::string& error) {
  auto& i = *impl_;
  beast::error_code ec;
  const auto addr = asio::ip::make_address(i.cfg.address, ec);
  if (ec) {
    error = "bad listen address '" + i.cfg.address + "': " + ec.message();
    return false;
  }
  const tcp::endpoint ep(addr, i.cfg.port);
  i.acceptor.open(ep.protocol(), ec);
  if (!ec) i.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) i.acceptor.bind(ep, ec);
  if (!ec) i.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    error = "cannot listen on " + i.cfg.address + ":" + std::to_string(i.cfg.port) + ": " +
            ec.message();
    return false;
  }
  i.do_accept();
  for (unsigned t = 0; t < std::max(1u, i.cfg.io_threads); ++t)
    i.threads.emplace_back([&i] { i.io.run(); });
  return true;
}

std::uint16_t server::port() const noexcept {
  beast::error_code ec;
  const auto ep = impl_->acceptor.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

void server::stop() {
  auto& i = *impl_;
  {
    std::unique_lock lock(i.mu);
    if (i.stopped || i.stopping) {
      i.cv.wait(lock, [&] { return i.stopped; });
      return;
    }
    i.stopping = true;
  }
  i.draining = true;
  asio::post(i.io, [&i] {
    beast::error_code ec;
    i.acceptor.close(ec);
    i.accept_pause.cancel();
  });
  std::vector<std::shared_ptr<session>> live;
  {
    std::lock_guard lock(i.mu);
    for (auto& [p, w] : i.sessions)
      if (auto s = w.lock()) live.push_back(std::move(s));
  }
  for (auto& s : live) s->close_if_idle();
  live.clear();
  {
    std::unique_lock lock(i.mu);
    i.cv.wait_for(lock, i.cfg.drain_timeout, [&] { return i.connections.load() == 0; });
  }
  // Handlers still running past the drain timeout finish inside join(); their sockets are gone.
  i.io.stop();
  for (auto& t : i.threads)
    if (t.joinable()) t.join();
  i.workers.join();
  {
    std::lock_guard lock(i.mu);
    i.stopped = true;
  }
  i.cv.notify_all();
}

void server::wait() {
  auto& i = *impl_;
  std::unique_lock lock(i.mu);
  i.cv.wait(lock, [&] { return i.stopped; });
}

}  // namespace sesami::http
