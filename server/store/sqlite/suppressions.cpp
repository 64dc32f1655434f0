// The suppression list.
#include <algorithm>

#include "../detail/page_cursor.hpp"
#include "store.hpp"

namespace sesami::store::sqlite {

result<suppression_page> sqlite_store::list_suppressions(std::string_view workspace,
                                                         const suppression_query& q) {
  const std::size_t limit = std::clamp<std::size_t>(q.limit, 1, 100000);
  std::string after;
  if (!detail::decode_address_cursor(q.cursor, after))
    return error{errc::bad_input, "invalid cursor"};
  auto r = reader();
  if (!r) return r.error();
  auto st = (*r)->prepare(
      "SELECT address, reason, source, event_id, created_at FROM suppressions "
      "WHERE workspace = ?1 AND address > ?2 AND (?3 = '' OR instr(address, ?3) > 0) "
      "AND (?5 = '' OR reason = ?5) AND (?6 = '' OR source = ?6) "
      "ORDER BY address LIMIT ?4");
  if (!st) return st.error();
  reset_on_exit guard{*st};
  auto& s = **st;
  s.bind(1, workspace);
  s.bind(2, after);
  s.bind(3, ascii_lower(q.contains));
  s.bind(4, static_cast<std::int64_t>(limit + 1));
  s.bind(5, q.reason);
  s.bind(6, q.source ? to_string(*q.source) : std::string_view(""));  // "", never NULL
  suppression_page page;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) page.entries.push_back(read_suppression(s));
  if (rc != SQLITE_DONE) return (*r)->fail(rc, "cannot list suppressions");
  if (page.entries.size() > limit) {
    page.entries.resize(limit);
    page.next = detail::encode_address_cursor(page.entries.back().address);
  }
  return page;
}

result<std::optional<suppression_entry>> sqlite_store::find_suppression(std::string_view workspace,
                                                                        std::string_view address) {
  auto r = reader();
  if (!r) return r.error();
  return find_suppression_with(**r, workspace, ascii_lower(address));
}

result<std::size_t> sqlite_store::add_suppressions(std::string_view workspace,
                                                   std::span<const suppression_entry> entries) {
  std::lock_guard lock(write_mu_);
  if (auto b = writer_->exec("BEGIN IMMEDIATE"); !b) return b.error();
  std::size_t added = 0;
  for (const auto& e : entries) {
    auto n = insert_suppression(workspace, e);
    if (!n) {
      (void)writer_->exec("ROLLBACK");
      return n.error();
    }
    added += *n;
  }
  if (auto c = writer_->exec("COMMIT"); !c) {
    (void)writer_->exec("ROLLBACK");
    return c.error();
  }
  return added;
}

result<bool> sqlite_store::remove_suppression(std::string_view workspace,
                                              std::string_view address) {
  std::lock_guard lock(write_mu_);
  auto st = writer_->prepare("DELETE FROM suppressions WHERE workspace = ?1 AND address = ?2");
  if (!st) return st.error();
  (*st)->bind(1, workspace);
  (*st)->bind(2, ascii_lower(address));
  if (auto r = run(*writer_, **st, "cannot remove suppression"); !r) return r.error();
  return writer_->changes() > 0;
}

result<std::optional<suppression_entry>> sqlite_store::set_suppression_reason(
    std::string_view workspace, std::string_view address, std::string_view reason) {
  std::lock_guard lock(write_mu_);
  auto st =
      writer_->prepare("UPDATE suppressions SET reason = ?3 WHERE workspace = ?1 AND address = ?2");
  if (!st) return st.error();
  const std::string a = ascii_lower(address);
  (*st)->bind(1, workspace);
  (*st)->bind(2, a);
  (*st)->bind(3, reason);
  if (auto r = run(*writer_, **st, "cannot change the suppression reason"); !r) return r.error();
  if (writer_->changes() == 0) return std::optional<suppression_entry>();
  return find_suppression_with(*writer_, workspace, a);
}

suppression_entry sqlite_store::read_suppression(const statement& s) {
  suppression_entry e;
  e.address = s.text(0);
  e.reason = s.text(1);
  e.source = parse_suppression_source(s.text(2)).value_or(suppression_source::manual);
  e.event_id = s.text(3);
  e.created_at = s.int64(4);
  return e;
}

result<std::optional<suppression_entry>> sqlite_store::find_suppression_with(
    connection& c, std::string_view workspace, const std::string& address) {
  auto st = c.prepare(
      "SELECT address, reason, source, event_id, created_at FROM suppressions "
      "WHERE workspace = ?1 AND address = ?2");
  if (!st) return st.error();
  reset_on_exit guard{*st};
  (*st)->bind(1, workspace);
  (*st)->bind(2, address);
  const int rc = (*st)->step();
  if (rc == SQLITE_DONE) return std::optional<suppression_entry>();
  if (rc != SQLITE_ROW) return c.fail(rc, "cannot read suppression");
  return std::optional<suppression_entry>(read_suppression(**st));
}

// Writer-side helpers; the caller holds write_mu_ and an open transaction.
result<std::size_t> sqlite_store::insert_suppression(std::string_view workspace,
                                                     const suppression_entry& e) {
  auto st = writer_->prepare_static(
      "INSERT INTO suppressions (workspace, address, reason, source, event_id, created_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING");
  if (!st) return st.error();
  auto& s = **st;
  s.bind(1, workspace);
  s.bind(2, ascii_lower(e.address));
  s.bind(3, e.reason);
  s.bind(4, to_string(e.source));
  s.bind(5, e.event_id);
  s.bind(6, e.created_at);
  if (auto r = run(*writer_, s, "cannot add suppression"); !r) return r.error();
  return static_cast<std::size_t>(writer_->changes());
}

}  // namespace sesami::store::sqlite
