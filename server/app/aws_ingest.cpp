#include "aws_ingest.hpp"

namespace sesami::app {
namespace {

/// "123456789012" from arn:aws:iam::123456789012:role/x, or from .../123456789012/queue-name.
std::string arn_account(std::string_view arn) {
  const auto p = arn.find("::");
  if (p == std::string_view::npos) return {};
  const auto rest = arn.substr(p + 2);
  return std::string(rest.substr(0, rest.find(':')));
}
std::string queue_account(std::string_view url) {
  const auto last = url.rfind('/');
  if (last == std::string_view::npos || last == 0) return {};
  const auto prev = url.rfind('/', last - 1);
  if (prev == std::string_view::npos) return {};
  return std::string(url.substr(prev + 1, last - prev - 1));
}

}  // namespace

aws_ingest::aws_ingest(store::store& s, store::aws_connections& conns,
                       store::suppression_sync_store& log, aws::role_credentials& roles,
                       aws::http_client& http, aws_ingest_options opt, poller_log log_sink)
    : store_(s),
      conns_(conns),
      roles_(roles),
      http_(http),
      opt_(std::move(opt)),
      log_(std::move(log_sink)),
      syncer_(s, log, http, [this](std::string_view ws) { return link(ws); }, opt_.sync) {}

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

void aws_ingest::reconcile() {
  auto rows = conns_.connected();
  if (!rows) return;  // the store is busy: keep what runs, try again next period
  std::map<std::string, const store::aws_connection_row*> wanted;
  for (auto& r : *rows)
    if (r.mode == "sqs" && !r.queue_url.empty()) wanted[r.workspace] = &r;

  std::vector<std::unique_ptr<sqs_poller>> retired;
  {
    std::lock_guard g(mu_);
    for (auto it = pollers_.begin(); it != pollers_.end();) {
      auto w = wanted.find(it->first);
      const std::string key =
          w == wanted.end() ? "" : w->second->queue_url + "|" + w->second->role_arn + "|" + w->second->region;
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
    src.credentials = l.credentials;
    src.invalidate_credentials = l.invalidate_credentials;
    // A queue outside the role's account is SESami's own: read it with SESami's credentials.
    if (opt_.own_credentials && queue_account(r->queue_url) != arn_account(r->role_arn)) {
      src.credentials = opt_.own_credentials;
      src.invalidate_credentials = nullptr;  // SESami's own keys: nothing cached to forget
    }
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
  if (opt_.sync_every.count() > 0) syncer_.start_schedule(opt_.sync_every, [this] { return links(); });
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
  {
    std::lock_guard g(mu_);
    all.swap(pollers_);
    poller_keys_.clear();
  }
  for (auto& [ws, p] : all) p->request_stop();  // all at once: long polls end together
  for (auto& [ws, p] : all) p->stop();          // each finishes its batch (commit, then delete)
}

void aws_ingest::render_metrics(std::string& out) {
  std::lock_guard g(mu_);
  std::vector<const sqs_poller*> ps;
  for (auto& [ws, p] : pollers_) ps.push_back(p.get());
  render_sqs_metrics(ps, out);
}

}  // namespace sesami::app
