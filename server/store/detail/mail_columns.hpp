#pragma once
// The columns both mail stores read, in the order their row mappers expect: the tables are the
// same on SQLite and PostgreSQL (mail_attempts, mail_bulk_jobs), so the lists are too.
namespace sesami::store::detail {

inline constexpr const char* attempt_cols =
    "seq, id, workspace, created_at, transport, status, message_id, error_code, error_message, "
    "recipients, suppressed, correlation_id, subject, bulk_id";
inline constexpr const char* job_cols =
    "id, workspace, status, request, total, sent, failed, suppressed, created_at, updated_at";

}  // namespace sesami::store::detail
