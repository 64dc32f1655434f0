#include "aws_ingest.hpp"

#include "aws_connection.hpp"

namespace sesami::app {

aws_ingest::aws_ingest(store::store& s, store::aws_connections& conns,
                       store::suppression_sync_store& log, aws::role_credentials& roles,
                       aws::http_client& http, aws_ingest_options opt, poller_log log_sink)
    : store_(s),
      conns_(conns),
      roles_(roles),
      http_(http),
      opt_(std::move(opt)),
      log_(std::move(log_sink)),
      syncer_(
          s, log, http, [this](std::string_view ws) { return link(ws); }, opt_.sync),
      bus_router_(log_) {}

aws_ingest::~aws_ingest() { stop(); }

aws_link aws_ingest::link_of(const store::aws_connection_row& r) {
  aws_link l;
  l.workspace = r.workspace;
  l.region = r.region;
  l.mode = r.mode;
  l.queue_url = r.queue_url;
  l.sqs_endpoint = opt_.sqs_endpoint;
  l.ses_endpoint = opt_.ses_endpoint;
  aws::role_target t{r.workspace, r.role_arn, r.external_id, r.region};
  l.credentials = [this, t]() -> boost::system::result<aws::credentials, std::string> {
    auto got = roles_.get(t);
    if (!got) return {boost::system::in_place_error, got.error().message};
    return got->creds;
  };
  l.invalidate_credentials = [this, t] { roles_.invalidate(t); };
  return l;
}

std::vector<aws_link> aws_ingest::links() {
  std::vector<aws_link> out;
  auto rows = conns_.connected();
  if (!rows) return out;
  for (auto& r : *rows) out.push_back(link_of(r));
  return out;
}

std::optional<aws_link> aws_ingest::link(std::string_view workspace) {
  auto r = conns_.get(workspace);
  if (!r || !*r || !(*r)->connected()) return std::nullopt;
  return link_of(**r);
}

bool aws_ingest::queue_allowed(const store::aws_connection_row& r) {
  const auto bad = validate_queue_url(r.queue_url, r.role_arn, r.region);
  if (!bad) {
    refused_queues_.erase(r.workspace);
    return true;
  }
  if (auto it = refused_queues_.find(r.workspace);
      it == refused_queues_.end() || it->second != r.queue_url) {
    refused_queues_[r.workspace] = r.queue_url;
    if (log_)
      log_(3, "stored queue URL refused: not polled (save the connection again with a valid one)",
           {{"workspace", r.workspace}, {"error", bad->message}});
  }
  return false;
}

void aws_ingest::refresh_bus_routes(const std::vector<store::aws_connection_row>& rows) {
  const auto now = std::chrono::steady_clock::now();
  bus_routes routes;
  std::map<std::string, bus_proof> proofs;
  for (const auto& r : rows) {
    if (r.mode != "event-bus") continue;
    bus_proof p;
    p.key = r.role_arn + "|" + r.external_id + "|" + r.configuration_set;
    const auto prev = bus_proofs_.find(r.workspace);
    const bool known = prev != bus_proofs_.end() && prev->second.key == p.key;
    if (known && prev->second.state.starts_with("!") && now < prev->second.retry_at) {
      proofs[r.workspace] = prev->second;  // refused recently: not asked again yet
      continue;
    }
    // The proof: STS lets SESami assume the role with this workspace's External ID, which only
    // the account's owner can have arranged. The account is STS's answer, not the ARN as typed.
    auto got = roles_.get({r.workspace, r.role_arn, r.external_id, r.region});
    std::string account;
    if (got) account = got->account_id.empty() ? role_account(r.role_arn) : got->account_id;
    p.state = got ? account : "!" + got.error().message;
    p.retry_at = now + opt_.bus_proof_retry;
    if (got) routes[account].push_back({r.workspace, r.configuration_set});
    if (log_ && (!known || prev->second.state != p.state)) {
      if (got)
        log_(2, "event bus: account routed to workspace",
             {{"workspace", r.workspace}, {"account", account}});
      else
        log_(3, "event bus: account not proven, nothing routed to workspace",
             {{"workspace", r.workspace},
              {"roleArn", r.role_arn},
              {"error", std::string_view(got.error().message)}});
    }
    proofs[r.workspace] = std::move(p);
  }
  bus_proofs_ = std::move(proofs);
  bus_router_.replace(std::move(routes));
}

void aws_ingest::reconcile() {
  auto rows = conns_.connected();
  if (!rows) return;  // the store is busy: keep what runs, try again next period
  if (!opt_.event_bus_queue.empty()) refresh_bus_routes(*rows);
  std::map<std::string, const store::aws_connection_row*> wanted;
  for (auto& r : *rows)
    if (r.mode == "sqs" && !r.queue_url.empty() && queue_allowed(r)) wanted[r.workspace] = &r;

  std::vector<std::unique_ptr<sqs_poller>> retired;
  {
    std::lock_guard g(mu_);
    for (auto it = pollers_.begin(); it != pollers_.end();) {
      auto w = wanted.find(it->first);
      const std::string key = w == wanted.end() ? ""
                                                : w->second->queue_url + "|" + w->second->role_arn +
                                                      "|" + w->second->region;
      if (w == wanted.end() || poller_keys_[it->first] != key) {
        retired.push_back(std::move(it->second));
        poller_keys_.erase(it->first);
        it = pollers_.erase(it);
      } else {
        ++it;
      }
    }
  }
  retired.clear();  // joins their threads outside the lock (a long poll may take its time)

  std::lock_guard g(mu_);
  for (auto& [ws, r] : wanted) {
    if (pollers_.count(ws)) continue;
    aws_link l = link_of(*r);
    sqs_source src;
    src.workspace = ws;
    src.queue_url = r->queue_url;
    src.region = r->region;
    src.endpoint = l.sqs_endpoint;
    // The workspace's role, always: the queue is in the role's account (queue_allowed).
    src.credentials = l.credentials;
    src.invalidate_credentials = l.invalidate_credentials;
    auto p = std::make_unique<sqs_poller>(store_, http_, std::move(src), opt_.poller, log_);
    p->start();
    poller_keys_[ws] = r->queue_url + "|" + r->role_arn + "|" + r->region;
    pollers_.emplace(ws, std::move(p));
  }
}

void aws_ingest::start() {
  reconcile();
  std::lock_guard g(loop_mu_);
  if (loop_.joinable()) return;
  if (!opt_.event_bus_queue.empty()) {
    // SESami's own queue, read with SESami's own identity; each message routed by its account.
    sqs_source src;
    src.queue_url = opt_.event_bus_queue;
    src.region = aws::sqs_region_of(opt_.event_bus_queue);
    src.endpoint = opt_.sqs_endpoint;
    src.credentials = opt_.own_credentials;
    src.route = [this](std::string_view body, const std::vector<sesami::event>& events) {
      return bus_router_.route(body, events);
    };
    auto p = std::make_unique<sqs_poller>(store_, http_, std::move(src), opt_.poller, log_);
    p->start();
    std::lock_guard pg(mu_);
    bus_poller_ = std::move(p);
  }
  stopping_ = false;
  loop_ = std::thread([this] {
    for (;;) {
      {
        std::unique_lock lock(loop_mu_);
        if (loop_cv_.wait_for(lock, opt_.reconcile_every, [this] { return stopping_; })) return;
      }
      reconcile();
    }
  });
  if (opt_.sync_every.count() > 0)
    syncer_.start_schedule(opt_.sync_every, [this] { return links(); });
}

void aws_ingest::stop() {
  {
    std::lock_guard g(loop_mu_);
    stopping_ = true;
  }
  loop_cv_.notify_all();
  if (loop_.joinable()) loop_.join();
  syncer_.stop_schedule();
  std::map<std::string, std::unique_ptr<sqs_poller>> all;
  std::unique_ptr<sqs_poller> bus;
  {
    std::lock_guard g(mu_);
    all.swap(pollers_);
    poller_keys_.clear();
    bus.swap(bus_poller_);
  }
  if (bus) bus->request_stop();
  for (auto& [ws, p] : all) p->request_stop();  // all at once: long polls end together
  for (auto& [ws, p] : all) p->stop();          // each finishes its batch (commit, then delete)
  if (bus) bus->stop();
}

void aws_ingest::render_metrics(std::string& out) {
  std::lock_guard g(mu_);
  std::vector<const sqs_poller*> ps;
  for (auto& [ws, p] : pollers_) ps.push_back(p.get());
  if (bus_poller_) ps.push_back(bus_poller_.get());
  render_sqs_metrics(ps, out);
  if (!opt_.event_bus_queue.empty()) bus_router_.render_metrics(out);
}

}  // namespace sesami::app
