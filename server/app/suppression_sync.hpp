#pragma once
// Two-way sync between a workspace's suppression list and the SES account-level suppression list.
//
// What "two-way" means — decided against a baseline B, the addresses that were on BOTH lists
// after the previous sync (persisted), so that a removal is told apart from an addition and no
// entry ping-pongs:
//   local L, remote R          | action
//   in L, not R, not in B      | push: PutSuppressedDestination (reason COMPLAINT when the local
//                              | reason is a complaint, else BOUNCE)
//   in R, not L, not in B      | pull: added locally, source "ses-sync", reason hard-bounce or
//                              | complaint
//   in B, in R, not L          | removed here since the last sync → DeleteSuppressedDestination
//   in B, in L, not R          | removed in SES since the last sync (someone cleared it in the
//                              | console or API) → removed here too, whatever its source
//   in both / in neither       | nothing
// A removal on either side therefore propagates once; an address that comes back later (a new
// bounce) is new evidence and is synced again. A failed operation keeps its address out of (or
// in) the baseline so that the next run retries the same decision. The new baseline is L ∩ R
// after the run's successful changes.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/system/result.hpp>

#include "../aws/http_client.hpp"
#include "../store/store.hpp"
#include "../store/suppression_sync_store.hpp"
#include "aws_link.hpp"

namespace sesami::app {

struct suppression_sync_options {
  int page_size = 1000;                // ListSuppressedDestinations PageSize (1-1000)
  std::size_t max_remote = 2'000'000;  // bound on the remote list read in one run
  int attempts = 3;                    // per remote call, on throttling / 5xx / transport
  std::chrono::milliseconds retry_delay{200};
};

struct sync_error {
  std::string code;  // "aws.not_connected", "store.unavailable", ...
  std::string message;
};

/// Runs syncs (on demand and on a schedule), one at a time per workspace.
class suppression_syncer {
 public:
  /// `link_of(workspace)`: the workspace's AWS connection, or nullopt when it has none.
  using link_lookup = std::function<std::optional<aws_link>(std::string_view workspace)>;

  suppression_syncer(store::store& s, store::suppression_sync_store& log, aws::http_client& http,
                     link_lookup link_of, suppression_sync_options opt = {});
  ~suppression_syncer();  // stop_schedule()
  suppression_syncer(const suppression_syncer&) = delete;
  suppression_syncer& operator=(const suppression_syncer&) = delete;

  /// One run now; its record (also persisted). Errors of single addresses or of the SES listing
  /// are in the record's `errors`; only "not connected" and a store failure are errors here.
  boost::system::result<store::sync_record, sync_error> sync(std::string_view workspace,
                                                             std::string_view cause = "manual");
  /// The latest run's record, nullopt when none.
  boost::system::result<std::optional<store::sync_record>, sync_error> last(
      std::string_view workspace);

  /// Syncs every connected workspace (`links()`) every `every`, first after one period.
  void start_schedule(std::chrono::milliseconds every, aws_links_source links);
  void stop_schedule();

 private:
  std::mutex& lock_for(std::string_view workspace);

  store::store& store_;
  store::suppression_sync_store& log_;
  aws::http_client& http_;
  link_lookup link_of_;
  suppression_sync_options opt_;
  std::mutex locks_mu_;
  std::map<std::string, std::unique_ptr<std::mutex>, std::less<>> locks_;
  std::mutex sched_mu_;
  std::condition_variable sched_cv_;
  bool stopping_ = false;
  std::thread scheduler_;
};

/// ISO 8601 (UTC, milliseconds) of a ms timestamp, for the API.
std::string iso_ms(std::int64_t ms);

}  // namespace sesami::app
