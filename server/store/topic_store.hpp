#pragma once
// Persistence of topics and contacts (issue #20): a workspace's topics (name, description, whether
// a contact without a choice is subscribed) and each contact's explicit choice per topic. What a
// choice means for sending is the app's (app/topics.hpp); here only rows. Backend-neutral like
// store.hpp (SQLite: sqlite/topics.cpp, migration 20; PostgreSQL: postgres/topics.cpp, migration
// 14). Every query names its workspace. Thread-safe.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store.hpp"

namespace sesami::store {

struct topic {
  std::string name;  // 1-64 letters, digits, '_' or '-' (checked by the app)
  std::string description;
  bool default_subscribed = true;  // a contact who never chose is subscribed (opt-out lists)
  std::int64_t created_at = 0, updated_at = 0;
};

struct contact {
  std::string address;                 // lower-cased
  std::map<std::string, bool> topics;  // explicit choices: topic → subscribed
  std::int64_t created_at = 0, updated_at = 0;
};

struct contact_query {
  std::string contains;  // substring of the address; empty: all
  std::size_t limit = 100;
  std::string cursor;  // opaque (detail/page_cursor.hpp's address cursor); ordered by address
};
struct contact_page {
  std::vector<contact> contacts;
  std::optional<std::string> next;
};

class topic_store {
 public:
  virtual ~topic_store() = default;

  /// False when a topic of that name exists already.
  virtual result<bool> create_topic(std::string_view workspace, const topic& t) = 0;
  virtual result<std::vector<topic>> list_topics(std::string_view workspace) = 0;
  virtual result<std::optional<topic>> find_topic(std::string_view workspace,
                                                  std::string_view name) = 0;
  /// Description and default of t.name; false when there is no such topic.
  virtual result<bool> update_topic(std::string_view workspace, const topic& t) = 0;
  /// The topic and every contact's choice for it, in one transaction; false when there was none.
  virtual result<bool> delete_topic(std::string_view workspace, std::string_view name) = 0;

  virtual result<contact_page> list_contacts(std::string_view workspace,
                                             const contact_query& q) = 0;
  virtual result<std::optional<contact>> find_contact(std::string_view workspace,
                                                      std::string_view address) = 0;
  /// Creates the contacts that do not exist and, for each, makes its choices on the topics in
  /// `scope` exactly those in contact.topics (a topic of `scope` absent there loses its choice;
  /// topics outside `scope` keep theirs). A choice for a topic the workspace does not have is not
  /// written. All contacts or none: one transaction.
  virtual status save_contacts(std::string_view workspace, std::span<const contact> contacts,
                               std::span<const std::string> scope, std::int64_t now) = 0;
  /// The contact and its choices; false when there was none.
  virtual result<bool> delete_contact(std::string_view workspace, std::string_view address) = 0;
  /// The explicit choices on `topic` of those of `addresses` (lower-cased) who made one.
  virtual result<std::map<std::string, bool>> choices(std::string_view workspace,
                                                      std::string_view topic,
                                                      std::span<const std::string> addresses) = 0;
};

/// The topic tables of an SQLite database that open_sqlite() has already migrated.
result<std::unique_ptr<topic_store>> open_sqlite_topics(const std::string& path,
                                                        int busy_timeout_ms = 5000);
/// The topic tables of a PostgreSQL database that open_postgres() has migrated.
result<std::unique_ptr<topic_store>> open_postgres_topics(const std::string& url);
/// Either, by the --db value (open.hpp's rule).
result<std::unique_ptr<topic_store>> open_topics(const std::string& db);

}  // namespace sesami::store
