// The suppression list.
#include "../detail/page_cursor.hpp"
#include "store.hpp"

namespace sesami::store::pg {
namespace {

suppression_entry read_suppression(const rows& r, int i) {
  suppression_entry e;
  e.address = r.text(i, 0);
  e.reason = r.text(i, 1);
  e.source = parse_suppression_source(r.text(i, 2)).value_or(suppression_source::manual);
  e.event_id = r.text(i, 3);
  e.created_at = r.int64(i, 4);
  return e;
}

}  // namespace

result<suppression_page> pg_store::list_suppressions(std::string_view workspace,
                                                     const suppression_query& q) {
  const std::size_t limit = std::clamp<std::size_t>(q.limit, 1, 100000);
  std::string after;
  if (!detail::decode_address_cursor(q.cursor, after))
    return error{errc::bad_input, "invalid cursor"};
  auto r = pool_.exec(
      "SELECT address, reason, source, event_id, created_at FROM suppressions "
      "WHERE workspace = $1 AND address > $2 AND ($3 = '' OR strpos(address, $3) > 0) "
      "AND ($5 = '' OR reason = $5) AND ($6 = '' OR source = $6) "
      "ORDER BY address LIMIT $4",
      params()
          .text(workspace)
          .text(after)
          .text(ascii_lower(q.contains))
          .integer(static_cast<std::int64_t>(limit + 1))
          .text(q.reason)
          .text(q.source ? to_string(*q.source) : std::string_view("")),
      "cannot list suppressions");
  if (!r) return r.error();
  suppression_page page;
  for (int i = 0; i < r->size(); ++i) page.entries.push_back(read_suppression(*r, i));
  if (page.entries.size() > limit) {
    page.entries.resize(limit);
    page.next = detail::encode_address_cursor(page.entries.back().address);
  }
  return page;
}

result<std::optional<suppression_entry>> pg_store::find_suppression(std::string_view workspace,
                                                                    std::string_view address) {
  auto c = pool_.acquire();
  if (!c) return c.error();
  return find_suppression_with(**c, workspace, ascii_lower(address));
}

result<std::size_t> pg_store::add_suppressions(std::string_view workspace,
                                               std::span<const suppression_entry> entries) {
  auto c = pool_.acquire();
  if (!c) return c.error();
  std::vector<suppression_entry> lowered(entries.begin(), entries.end());
  for (auto& e : lowered) e.address = ascii_lower(e.address);
  return in_transaction(**c, [&](connection& conn) -> result<std::size_t> {
    auto added = insert_suppressions(conn, workspace, lowered);
    if (!added) return added.error();
    return added->size();
  });
}

result<bool> pg_store::remove_suppression(std::string_view workspace, std::string_view address) {
  auto r =
      pool_.exec("DELETE FROM suppressions WHERE workspace = $1 AND address = $2",
                 params().text(workspace).text(ascii_lower(address)), "cannot remove suppression");
  if (!r) return r.error();
  return r->affected() > 0;
}

result<std::optional<suppression_entry>> pg_store::set_suppression_reason(
    std::string_view workspace, std::string_view address, std::string_view reason) {
  auto r = pool_.exec(
      "UPDATE suppressions SET reason = $3 WHERE workspace = $1 AND address = $2 "
      "RETURNING address, reason, source, event_id, created_at",
      params().text(workspace).text(ascii_lower(address)).text(reason),
      "cannot change the suppression reason");
  if (!r) return r.error();
  if (r->size() == 0) return std::optional<suppression_entry>();
  return std::optional<suppression_entry>(read_suppression(*r, 0));
}

result<std::optional<suppression_entry>> pg_store::find_suppression_with(
    connection& c, std::string_view workspace, const std::string& address) {
  auto r = c.exec(
      "SELECT address, reason, source, event_id, created_at FROM suppressions "
      "WHERE workspace = $1 AND address = $2",
      params().text(workspace).text(address), "cannot read suppression");
  if (!r) return r.error();
  if (r->size() == 0) return std::optional<suppression_entry>();
  return std::optional<suppression_entry>(read_suppression(*r, 0));
}

// Entries (addresses already lower-cased) in one statement: the first of an address wins, an
// existing address keeps its reason. Returns the addresses that were new. Rows go in sorted by
// address, the order every writer takes their locks in (concurrent transactions adding the same
// addresses wait for each other, never in a cycle).
result<std::vector<std::string>> pg_store::insert_suppressions(
    connection& c, std::string_view workspace, const std::vector<suppression_entry>& entries) {
  if (entries.empty()) return std::vector<std::string>{};
  std::vector<const suppression_entry*> sorted;
  for (const auto& e : entries) sorted.push_back(&e);
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto* a, const auto* b) { return a->address < b->address; });
  array address, reason, source, event_id, created;
  for (const auto* ep : sorted) {
    const auto& e = *ep;
    address.text(e.address), reason.text(e.reason), source.text(to_string(e.source));
    event_id.text(e.event_id), created.integer(e.created_at);
  }
  auto r = c.exec(
      "INSERT INTO suppressions (workspace, address, reason, source, event_id, created_at) "
      "SELECT $1, u.a, u.r, u.s, u.e, u.c FROM unnest($2::text[], $3::text[], $4::text[], "
      "$5::text[], $6::int8[]) WITH ORDINALITY AS u(a, r, s, e, c, o) ORDER BY u.o "
      "ON CONFLICT DO NOTHING RETURNING address",
      params()
          .text(workspace)
          .text(address.str())
          .text(reason.str())
          .text(source.str())
          .text(event_id.str())
          .text(created.str()),
      "cannot add suppressions");
  if (!r) return r.error();
  std::vector<std::string> out;
  for (int i = 0; i < r->size(); ++i) out.emplace_back(r->text(i, 0));
  return out;
}

}  // namespace sesami::store::pg
