# Runs the real `sesami parse` on the fixtures and checks stdout, stderr and the exit status.
# Usage: cmake -DSESAMI=<path to sesami> -DFIXTURES=<tests/fixtures> -P parse_cli.cmake
cmake_minimum_required(VERSION 3.25)

set(failures 0)
function(expect what)
  if(NOT (${ARGN}))
    message(SEND_ERROR "FAILED: ${what}")
    math(EXPR n "${failures} + 1")
    set(failures ${n} PARENT_SCOPE)
  endif()
endfunction()

# run(<name> [STDIN file] ARGS ...): sets <name>_rc, <name>_out, <name>_err, <name>_lines
function(run name)
  cmake_parse_arguments(R "" "STDIN" "ARGS" ${ARGN})
  if(R_STDIN)
    execute_process(COMMAND ${SESAMI} parse ${R_ARGS} INPUT_FILE ${R_STDIN}
                    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  else()
    execute_process(COMMAND ${SESAMI} parse ${R_ARGS}
                    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  endif()
  string(REGEX MATCHALL "\n" nl "${out}")
  list(LENGTH nl lines)
  set(${name}_rc ${rc} PARENT_SCOPE)
  set(${name}_out "${out}" PARENT_SCOPE)
  set(${name}_err "${err}" PARENT_SCOPE)
  set(${name}_lines ${lines} PARENT_SCOPE)
endfunction()

# One document, one event, nothing rejected.
run(one ARGS ${FIXTURES}/ses/event-bounce.json)
expect("single bounce exits 0 (got ${one_rc}: ${one_err})" one_rc EQUAL 0)
expect("single bounce prints one line (got ${one_lines})" one_lines EQUAL 1)
string(FIND "${one_out}" "\"type\":\"bounce\",\"recipient\":\"recipient@example.com\"" pos)
expect("bounce line has type and recipient" NOT pos EQUAL -1)
string(FIND "${one_out}" "\"class\":\"hard\"" pos)
expect("bounce is classified hard" NOT pos EQUAL -1)
expect("nothing on stderr" "x${one_err}" STREQUAL "x")

# JSON Lines with two bad lines: the good ones are printed, the bad ones named FILE:LINE.
run(mixed ARGS ${FIXTURES}/batch/mixed.jsonl)
expect("mixed batch exits 1 (got ${mixed_rc})" mixed_rc EQUAL 1)
expect("mixed batch prints 6 events (got ${mixed_lines})" mixed_lines EQUAL 6)
string(FIND "${mixed_err}" "batch/mixed.jsonl:5: " pos)
expect("line 5 reported: ${mixed_err}" NOT pos EQUAL -1)
string(FIND "${mixed_err}" "batch/mixed.jsonl:8: mail.messageId" pos)
expect("line 8 reported with the field" NOT pos EQUAL -1)
string(FIND "${mixed_err}" "(sesami.missing_field)" pos)
expect("error id printed" NOT pos EQUAL -1)

# The same from standard input is <stdin>:LINE.
run(stdin STDIN ${FIXTURES}/batch/mixed.jsonl)
expect("stdin exits 1" stdin_rc EQUAL 1)
expect("stdin prints 6 events" stdin_lines EQUAL 6)
string(FIND "${stdin_err}" "<stdin>:5: " pos)
expect("stdin named <stdin>: ${stdin_err}" NOT pos EQUAL -1)
run(dash STDIN ${FIXTURES}/ses/event-open.json ARGS -)
expect("'-' reads stdin" dash_rc EQUAL 0 AND dash_lines EQUAL 1)

# Arrays: FILE[INDEX].
run(array ARGS ${FIXTURES}/batch/array.json)
expect("array exits 1" array_rc EQUAL 1)
expect("array prints 3 events" array_lines EQUAL 3)
string(FIND "${array_err}" "batch/array.json[2]: " pos)
expect("array index 2 reported: ${array_err}" NOT pos EQUAL -1)
string(FIND "${array_err}" "batch/array.json[4]: mail.timestamp" pos)
expect("array index 4 reported" NOT pos EQUAL -1)

# Several files; a subscription confirmation is not an event and not an error.
run(many ARGS ${FIXTURES}/ses/event-send.json ${FIXTURES}/derived/send-multi-destination.json
    ${FIXTURES}/sns/subscription-confirmation.json)
expect("several files exit 0 (got ${many_rc}: ${many_err})" many_rc EQUAL 0)
expect("several files: 1 + 3 events (got ${many_lines})" many_lines EQUAL 4)

# Usage and I/O errors: 2, and the message names the file.
run(missing ARGS ${FIXTURES}/no-such-file.json)
expect("missing file exits 2" missing_rc EQUAL 2)
string(FIND "${missing_err}" "no-such-file.json" pos)
expect("missing file named" NOT pos EQUAL -1)
run(badopt ARGS --frobnicate)
expect("unknown option exits 2" badopt_rc EQUAL 2)
run(help ARGS --help)
expect("--help exits 0" help_rc EQUAL 0)

if(failures GREATER 0)
  message(FATAL_ERROR "${failures} check(s) failed")
endif()
message(STATUS "sesami parse: all checks passed")
