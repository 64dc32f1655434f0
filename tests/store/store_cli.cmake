# The real `sesami` binary on tests/store/fixtures: import (twice: exactly once), events, stats,
# suppression export — exit statuses, the --json summary, FILE:LINE reports.
# Run by ctest as store:cli with -DSESAMI=... -DFIXTURES=... -DWORK=...
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
set(DB ${WORK}/cli.db)

function(run expect_rc)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL expect_rc)
    message(FATAL_ERROR "${ARGN}\nexit ${rc}, expected ${expect_rc}\nstdout: ${out}\nstderr: ${err}")
  endif()
  set(OUT "${out}" PARENT_SCOPE)
  set(ERR "${err}" PARENT_SCOPE)
endfunction()

# The reference: identities from `sesami parse` (parser + identity, no store).
run(1 ${SESAMI} parse ${FIXTURES}/payloads/events.jsonl ${FIXTURES}/payloads/redelivered-and-broken.jsonl)
string(REGEX MATCHALL "\"id\":\"[0-9a-f]+\"" ids "${OUT}")
list(LENGTH ids parsed)
list(REMOVE_DUPLICATES ids)
list(LENGTH ids distinct)
math(EXPR read "${parsed} + 2")  # the fixture holds two broken lines
math(EXPR dups "${parsed} - ${distinct}")

# First import of the directory: broken lines reported, exit 1, the rest stored.
run(1 ${SESAMI} import --db ${DB} --json ${FIXTURES}/payloads)
string(STRIP "${OUT}" OUT)
set(want "{\"read\":${read},\"stored\":${distinct},\"duplicates\":${dups},\"rejected\":2}")
if(NOT OUT STREQUAL want)
  message(FATAL_ERROR "first import: ${OUT}\nexpected ${want}")
endif()
if(NOT ERR MATCHES "redelivered-and-broken.jsonl:2: " OR NOT ERR MATCHES "redelivered-and-broken.jsonl:3: ")
  message(FATAL_ERROR "rejected lines not reported as FILE:LINE: ${ERR}")
endif()

# Again, through SESAMI_DB and one file on stdin: nothing new.
execute_process(COMMAND ${CMAKE_COMMAND} -E env SESAMI_DB=${DB} ${SESAMI} import --json -
                INPUT_FILE ${FIXTURES}/payloads/events.jsonl RESULT_VARIABLE rc OUTPUT_VARIABLE out)
if(NOT rc EQUAL 0 OR NOT out MATCHES "\"stored\":0,")
  message(FATAL_ERROR "re-import stored again (exit ${rc}): ${out}")
endif()

# events: JSON Lines, newest first, filtered by type.
run(0 ${SESAMI} events --db ${DB} --json --type bounce,complaint --limit 1000)
string(REPLACE ";" "," OUT "${OUT}")  # CMake lists split on ';' (SMTP diagnostics hold some)
string(REGEX MATCHALL "[^\n]+" lines "${OUT}")
list(LENGTH lines n_bad)
if(n_bad EQUAL 0)
  message(FATAL_ERROR "no bounces or complaints listed")
endif()
foreach(l IN LISTS lines)
  if(NOT l MATCHES "\"type\":\"(bounce|complaint)\"")
    message(FATAL_ERROR "filter leaked: ${l}")
  endif()
endforeach()
run(0 ${SESAMI} events --db ${DB} --json --limit 1000)
string(REPLACE ";" "," OUT "${OUT}")
string(REGEX MATCHALL "[^\n]+" all "${OUT}")
list(LENGTH all n_all)
if(NOT n_all EQUAL distinct)
  message(FATAL_ERROR "events lists ${n_all}, stored ${distinct}")
endif()
run(2 ${SESAMI} events --db ${DB} --type nonsense)

# stats --json: the aggregation shape, totals that add up to what is stored.
run(0 ${SESAMI} stats --db ${DB} --json --bucket hour)
string(JSON total GET "${OUT}" events)
if(NOT total EQUAL distinct)
  message(FATAL_ERROR "stats counts ${total} events, stored ${distinct}")
endif()
string(JSON hard GET "${OUT}" bounceClasses hard)

# suppression: hard bounces and complaints were listed automatically; export is CSV.
run(0 ${SESAMI} suppression export --db ${DB} ${WORK}/out.csv)  # a file: execute_process drops \r
file(READ ${WORK}/out.csv OUT)
file(READ ${WORK}/out.csv hex HEX)  # CMake drops \r from text; look at the bytes for CRLF
string(HEX "address,reason,source,event_id,created_at" header_hex)
string(FIND "${hex}" "${header_hex}0d0a" header_at)
if(NOT header_at EQUAL 0)
  message(FATAL_ERROR "export header: ${OUT}")
endif()
if(hard GREATER 0 AND NOT OUT MATCHES "hard_bounce,event,")
  message(FATAL_ERROR "a hard bounce was not suppressed: ${OUT}")
endif()
file(WRITE ${WORK}/in.csv "address,reason\nnew@example.com,manual\nbroken\n")
run(1 ${SESAMI} suppression import --db ${DB} ${WORK}/in.csv)
if(NOT ERR MATCHES "in.csv:3: ")
  message(FATAL_ERROR "bad CSV line not reported: ${ERR}")
endif()
run(0 ${SESAMI} suppression remove --db ${DB} new@example.com)
run(1 ${SESAMI} suppression remove --db ${DB} new@example.com)

# A database from the future is refused with a clear message, exit 2.
execute_process(COMMAND sqlite3 ${DB} "PRAGMA user_version = 9999" RESULT_VARIABLE has_sqlite3)
if(has_sqlite3 EQUAL 0)
  run(2 ${SESAMI} stats --db ${DB})
  if(NOT ERR MATCHES "newer than this sesami")
    message(FATAL_ERROR "newer schema message: ${ERR}")
  endif()
endif()
message(STATUS "store:cli ok: ${distinct} events, ${dups} duplicates")
