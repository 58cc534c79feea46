# Runs killed_rank under mpiexec: passes if the job ends within 30 s, exits non-zero and names
# the killed rank. -DMPIEXEC=... -DFLAGS=... -DRANKS=... -DPROGRAM=...
string(REPLACE " " ";" flags "${FLAGS}")
string(TIMESTAMP start "%s")
execute_process(COMMAND ${MPIEXEC} ${flags} -np ${RANKS} ${PROGRAM}
                RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 30)
string(TIMESTAMP end "%s")
math(EXPR seconds "${end} - ${start}")
math(EXPR killed "${RANKS} - 1")
message(STATUS "exit: ${result} after ${seconds} s\n${out}${err}")
if(result STREQUAL "0" OR result MATCHES "timeout")
  message(FATAL_ERROR "the job did not fail within 30 s (result: ${result})")
endif()
if(NOT "${out}${err}" MATCHES "rank ${killed} with PID [0-9]+ on node [^ ]+ exited on signal 9")
  message(FATAL_ERROR "the output does not name rank ${killed} as killed")
endif()
