#pragma once
// Topics and preferences (issue #20): a workspace's topics, its contacts' choices per topic, CSV
// import and export, and the check the send path makes. No sockets, no SQL.
//
// What a recipient gets:
// - Mail without a topic is transactional: only the suppression list stops it (bounces,
//   complaints, and "unsubscribe" — the one-click link of a mail without a topic, which stops
//   everything, as before topics existed).
// - Mail with a topic goes to a recipient on no suppression list who is subscribed to the topic:
//   their own choice when they made one, else the topic's default (defaultSubscribed). Anyone
//   else is reported like a suppressed recipient, reason "unsubscribed:<topic>".
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "../store/store.hpp"
#include "../store/topic_store.hpp"
#include "auth.hpp"

namespace sesami::app {

/// 1-64 ASCII letters, digits, '_' or '-' (it travels in links and CSV headers).
bool valid_topic_name(std::string_view name) noexcept;
inline constexpr std::size_t max_topic_description = 500;

/// A recipient's standing on every topic of the workspace: the choice made, or the default.
struct topic_standing {
  std::string topic, description;
  bool subscribed = false;
  bool chosen = false;  // an explicit choice (false: the topic's default)
};
struct contact_view {
  std::string address;
  std::vector<topic_standing> topics;     // every topic of the workspace, by name
  std::optional<std::string> suppressed;  // the suppression list's reason, when on it
  std::int64_t created_at = 0, updated_at = 0;
};

/// A line of a CSV import that was refused.
struct contact_csv_problem {
  std::size_t line = 0;
  std::string message;
};

class topics {
 public:
  topics(store::topic_store& t, store::store& s) : topics_(t), store_(s) {}

  // ---- topics (failures: validation.*, topics.not_found, topics.exists) ----
  outcome<store::topic> create(std::string_view ws, std::string_view name,
                               std::string_view description, bool default_subscribed);
  outcome<std::vector<store::topic>> list(std::string_view ws);
  outcome<store::topic> update(std::string_view ws, std::string_view name,
                               std::optional<std::string> description,
                               std::optional<bool> default_subscribed);
  outcome<void> remove(std::string_view ws, std::string_view name);

  // ---- contacts (failures: validation.*, contacts.not_found) ----
  outcome<store::contact_page> contacts(std::string_view ws, const store::contact_query& q);
  /// The contact's standing on every topic; contacts.not_found when not a contact.
  outcome<contact_view> contact(std::string_view ws, std::string_view address);
  /// The standing of any address (a recipient on the preference page may not be a contact yet).
  outcome<contact_view> standing(std::string_view ws, std::string_view address);
  /// PUT /contacts/{address}: the contact's choices become exactly `choices` (each topic must
  /// exist; a topic left out goes back to its default).
  outcome<contact_view> put(std::string_view ws, std::string_view address,
                            const std::map<std::string, bool>& choices);
  /// The recipient's own choices (the preference page, one-click): only the topics named change.
  outcome<void> choose(std::string_view ws, std::string_view address,
                       const std::map<std::string, bool>& choices);
  outcome<void> remove_contact(std::string_view ws, std::string_view address);

  /// CSV: "address,<topic>,<topic>..." then one line per contact, cells "subscribed",
  /// "unsubscribed" or empty (no choice: the topic's default).
  outcome<std::string> export_csv(std::string_view ws);
  /// All lines or none: any bad line refuses the whole file, every bad line named in `problems`
  /// (failure validation.csv). Each contact's choices on the file's topic columns become the
  /// file's; other topics keep theirs. Returns how many contacts were written.
  outcome<std::size_t> import_csv(std::string_view ws, std::string_view text,
                                  std::vector<contact_csv_problem>& problems);

  // ---- the send path ----
  /// Of `addresses` (lower-cased), those who must not get mail on `topic`. validation.topic
  /// when the workspace has no such topic.
  outcome<std::vector<std::string>> unsubscribed(std::string_view ws, std::string_view topic,
                                                 std::span<const std::string> addresses);

 private:
  outcome<std::vector<store::topic>> existing(std::string_view ws);
  store::topic_store& topics_;
  store::store& store_;
};

}  // namespace sesami::app
