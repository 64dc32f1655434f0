#include "ingest_observer.hpp"

#include <memory>
#include <mutex>

namespace sesami::app {
namespace {
std::mutex observer_mu;
std::shared_ptr<const ingest_observer> observer;
}  // namespace

void set_ingest_observer(ingest_observer o) {
  auto p = o ? std::make_shared<const ingest_observer>(std::move(o)) : nullptr;
  std::lock_guard lock(observer_mu);
  observer = std::move(p);
}

void notify_ingested(std::string_view workspace, std::span<const sesami::event> events) noexcept {
  std::shared_ptr<const ingest_observer> o;
  {
    std::lock_guard lock(observer_mu);
    o = observer;
  }
  if (!o || events.empty()) return;
  try {
    (*o)(workspace, events);
  } catch (...) {
    // The events are stored; an observer's failure must not turn that into an error.
  }
}

}  // namespace sesami::app
