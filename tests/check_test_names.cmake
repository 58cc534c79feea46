# CTest splits a discovered test name at ';' (a CMake list separator): the pieces then match no
# doctest case and "pass" without running anything. Fails if any TEST_CASE name has one.
file(GLOB sources "${DIR}/*.cpp")
foreach(source IN LISTS sources)
  file(STRINGS "${source}" lines REGEX "TEST_CASE\\(\"[^\"]*\\;")
  if(lines)
    message(SEND_ERROR "${source}: a TEST_CASE name contains ';' (CTest would split it): ${lines}")
  endif()
endforeach()
