# Runs killed_rank under mpiexec: passes if the job ends within 30 s, exits non-zero and names
# the killed rank, and rank 0's last checkpoint loads whole with step 5's optimizer state.
# -DMPIEXEC=... -DFLAGS=... -DRANKS=... -DPROGRAM=... -DCHECKPOINT=...
string(REPLACE " " ";" flags "${FLAGS}")
string(TIMESTAMP start "%s")
file(REMOVE "${CHECKPOINT}")
execute_process(COMMAND ${MPIEXEC} ${flags} -np ${RANKS} ${PROGRAM} ${CHECKPOINT}
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
execute_process(COMMAND ${PROGRAM} --verify ${CHECKPOINT} RESULT_VARIABLE verified OUTPUT_VARIABLE out ERROR_VARIABLE err
                TIMEOUT 30)
message(STATUS "${out}${err}")
if(NOT verified STREQUAL "0")
  message(FATAL_ERROR "the last checkpoint is not whole or not step 5's (status ${verified})")
endif()
