// Topics and preferences (see topics.hpp for what a recipient gets).
#include "topics.hpp"

#include <algorithm>
#include <set>

#include <sesami/ascii.hpp>

#include "csv.hpp"
#include "import.hpp"
#include "suppression.hpp"

namespace sesami::app {
namespace {

failure no_topic(std::string_view name) {
  return {"topics.not_found", "no topic named '" + std::string(name) + "'"};
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool subscribed_on(const store::topic& t, const std::map<std::string, bool>& choices) {
  const auto it = choices.find(t.name);
  return it == choices.end() ? t.default_subscribed : it->second;
}

}  // namespace

bool valid_topic_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

// ---- topics
// ---------------------------------------------------------------------------------------
outcome<store::topic> topics::create(std::string_view ws, std::string_view name,
                                     std::string_view description, bool default_subscribed) {
  if (!valid_topic_name(name))
    return failure{"validation.name", "name: 1-64 letters, digits, '_' or '-'"};
  if (description.size() > max_topic_description)
    return failure{"validation.description", "description: at most 500 characters"};
  store::topic t{std::string(name), std::string(description), default_subscribed, now_ms(), 0};
  t.updated_at = t.created_at;
  auto made = topics_.create_topic(ws, t);
  if (!made) return from_store(made.error());
  if (!*made) return failure{"topics.exists", "a topic named '" + t.name + "' exists already"};
  return t;
}

outcome<std::vector<store::topic>> topics::list(std::string_view ws) { return existing(ws); }

outcome<std::vector<store::topic>> topics::existing(std::string_view ws) {
  auto all = topics_.list_topics(ws);
  if (!all) return from_store(all.error());
  return std::move(*all);
}

outcome<store::topic> topics::update(std::string_view ws, std::string_view name,
                                     std::optional<std::string> description,
                                     std::optional<bool> default_subscribed) {
  if (description && description->size() > max_topic_description)
    return failure{"validation.description", "description: at most 500 characters"};
  auto t = topics_.find_topic(ws, name);
  if (!t) return from_store(t.error());
  if (!*t) return no_topic(name);
  store::topic next = **t;
  if (description) next.description = std::move(*description);
  if (default_subscribed) next.default_subscribed = *default_subscribed;
  next.updated_at = now_ms();
  auto r = topics_.update_topic(ws, next);
  if (!r) return from_store(r.error());
  if (!*r) return no_topic(name);
  return next;
}

outcome<void> topics::remove(std::string_view ws, std::string_view name) {
  auto r = topics_.delete_topic(ws, name);
  if (!r) return from_store(r.error());
  if (!*r) return no_topic(name);
  return {};
}

// ---- contacts
// -------------------------------------------------------------------------------------
outcome<store::contact_page> topics::contacts(std::string_view ws, const store::contact_query& q) {
  auto page = topics_.list_contacts(ws, q);
  if (!page) return from_store(page.error());
  return std::move(*page);
}

outcome<contact_view> topics::standing(std::string_view ws, std::string_view address) {
  const std::string a = ascii_lower(address);
  auto all = existing(ws);
  if (!all) return all.error();
  auto c = topics_.find_contact(ws, a);
  if (!c) return from_store(c.error());
  auto s = store_.find_suppression(ws, a);
  if (!s) return from_store(s.error());
  contact_view v;
  v.address = a;
  const std::map<std::string, bool> none;
  const auto& choices = *c ? (*c)->topics : none;
  for (const auto& t : *all)
    v.topics.push_back(
        {t.name, t.description, subscribed_on(t, choices), choices.find(t.name) != choices.end()});
  if (*s) v.suppressed = (*s)->reason;
  if (*c) v.created_at = (*c)->created_at, v.updated_at = (*c)->updated_at;
  return v;
}

outcome<contact_view> topics::contact(std::string_view ws, std::string_view address) {
  auto v = standing(ws, address);
  if (!v) return v.error();
  if (v->created_at == 0) return failure{"contacts.not_found", "no such contact"};
  return v;
}

outcome<contact_view> topics::put(std::string_view ws, std::string_view address,
                                  const std::map<std::string, bool>& choices) {
  const std::string a = ascii_lower(address);
  if (!plausible_address(a)) return failure{"validation.address", "not an email address"};
  auto all = existing(ws);
  if (!all) return all.error();
  std::vector<std::string> scope;
  for (const auto& t : *all) scope.push_back(t.name);
  for (const auto& [name, _] : choices)
    if (std::find(scope.begin(), scope.end(), name) == scope.end())
      return failure{"validation.topics", "topics: no topic named '" + name + "'"};
  const store::contact c{a, choices, 0, 0};
  if (auto r = topics_.save_contacts(ws, std::span(&c, 1), scope, now_ms()); !r)
    return from_store(r.error());
  return contact(ws, a);
}

outcome<void> topics::choose(std::string_view ws, std::string_view address,
                             const std::map<std::string, bool>& choices) {
  std::vector<std::string> scope;
  for (const auto& [name, _] : choices) scope.push_back(name);
  const store::contact c{ascii_lower(address), choices, 0, 0};
  if (auto r = topics_.save_contacts(ws, std::span(&c, 1), scope, now_ms()); !r)
    return from_store(r.error());
  return {};
}

outcome<void> topics::remove_contact(std::string_view ws, std::string_view address) {
  auto r = topics_.delete_contact(ws, address);
  if (!r) return from_store(r.error());
  if (!*r) return failure{"contacts.not_found", "no such contact"};
  return {};
}

// ---- CSV
// ------------------------------------------------------------------------------------------
outcome<std::string> topics::export_csv(std::string_view ws) {
  auto all = existing(ws);
  if (!all) return all.error();
  std::string out = "address";
  for (const auto& t : *all) out += ',' + t.name;  // names need no quoting (valid_topic_name)
  out += "\r\n";
  store::contact_query q;
  q.limit = 1000;
  for (;;) {
    auto page = topics_.list_contacts(ws, q);
    if (!page) return from_store(page.error());
    for (const auto& c : page->contacts) {
      append_csv_cell(out, c.address);
      for (const auto& t : *all) {
        out += ',';
        if (auto it = c.topics.find(t.name); it != c.topics.end())
          out += it->second ? "subscribed" : "unsubscribed";
      }
      out += "\r\n";
    }
    if (!page->next) break;
    q.cursor = *page->next;
  }
  return out;
}

outcome<std::size_t> topics::import_csv(std::string_view ws, std::string_view text,
                                        std::vector<contact_csv_problem>& problems) {
  auto all = existing(ws);
  if (!all) return all.error();
  const auto records = read_csv(text);
  if (records.empty())
    return failure{"validation.csv", "the file is empty: expected a header address,<topic>,..."};
  // The header names the columns: address first, then topics of this workspace.
  std::vector<std::string> columns;
  const auto& head = records.front();
  if (!head.problem.empty() || ascii_lower(trim(head.fields[0])) != "address")
    problems.push_back({head.line, "the first line must be the header address,<topic>,..."});
  for (std::size_t i = 1; i < head.fields.size(); ++i) {
    const std::string name(trim(head.fields[i]));
    const bool known = std::any_of(all->begin(), all->end(),
                                   [&](const store::topic& t) { return t.name == name; });
    if (!known)
      problems.push_back({head.line, "column " + std::to_string(i + 1) + ": no topic named '" +
                                         name + "' (create it first)"});
    else if (std::find(columns.begin(), columns.end(), name) != columns.end())
      problems.push_back({head.line, "topic '" + name + "' appears twice in the header"});
    columns.push_back(name);
  }
  std::vector<store::contact> contacts;
  std::set<std::string> seen;
  for (std::size_t r = 1; r < records.size(); ++r) {
    const auto& rec = records[r];
    if (!rec.problem.empty()) {
      problems.push_back({rec.line, rec.problem});
      continue;
    }
    if (rec.fields.size() != columns.size() + 1) {
      problems.push_back({rec.line, "expected " + std::to_string(columns.size() + 1) +
                                        " fields like the header, found " +
                                        std::to_string(rec.fields.size())});
      continue;
    }
    store::contact c;
    c.address = ascii_lower(csv_cell_value(trim(rec.fields[0])));
    if (!plausible_address(c.address)) {
      problems.push_back(
          {rec.line, "not an email address: '" + std::string(trim(rec.fields[0])) + "'"});
      continue;
    }
    if (!seen.insert(c.address).second) {
      problems.push_back({rec.line, c.address + " appears on an earlier line"});
      continue;
    }
    for (std::size_t i = 0; i < columns.size(); ++i) {
      const std::string v = ascii_lower(trim(rec.fields[i + 1]));
      if (v == "subscribed")
        c.topics[columns[i]] = true;
      else if (v == "unsubscribed")
        c.topics[columns[i]] = false;
      else if (!v.empty())
        problems.push_back({rec.line, columns[i] + ": '" + std::string(trim(rec.fields[i + 1])) +
                                          "' is not subscribed, unsubscribed or empty"});
    }
    contacts.push_back(std::move(c));
  }
  if (!problems.empty())
    return failure{"validation.csv",
                   std::to_string(problems.size()) + " line(s) refused; nothing was imported"};
  if (auto w = topics_.save_contacts(ws, contacts, columns, now_ms()); !w)
    return from_store(w.error());
  return contacts.size();
}

// ---- the send path
// --------------------------------------------------------------------------------
outcome<std::vector<std::string>> topics::unsubscribed(std::string_view ws, std::string_view topic,
                                                       std::span<const std::string> addresses) {
  auto t = topics_.find_topic(ws, topic);
  if (!t) return from_store(t.error());
  if (!*t)
    return failure{"validation.topic",
                   "topic: no topic named '" + std::string(topic) + "' (POST /topics first)"};
  auto choices = topics_.choices(ws, topic, addresses);
  if (!choices) return from_store(choices.error());
  std::vector<std::string> out;
  for (const auto& a : addresses) {
    const auto it = choices->find(a);
    if (!(it == choices->end() ? (*t)->default_subscribed : it->second)) out.push_back(a);
  }
  return out;
}

}  // namespace sesami::app
