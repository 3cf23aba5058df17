# Host unit tests of the IPC manager's portable core (servers/ipcm): the wire codec and
# stream framer, sequencing, the location cache, quotas and the port table, over the same
# sources the server runs (SERVER_PORTABLE_SOURCES in servers/CMakeLists.txt). The mutation
# corpus test drives the fuzz target's entry point, so the gcc/ASan build exercises it too.
add_executable(atoll_ipcm_tests
  ipcm_location_cache_test.cpp
  ipcm_port_id_test.cpp
  ipcm_port_table_test.cpp
  ipcm_quota_test.cpp
  ipcm_port_slice_test.cpp
  ipcm_sequencing_test.cpp
  ipcm_stream_framer_test.cpp
  ipcm_wire_corpus_test.cpp
  ipcm_wire_test.cpp
  ${PROJECT_SOURCE_DIR}/tests/fuzz/ipcm_wire_fuzz_entry.cpp
)
target_include_directories(atoll_ipcm_tests PRIVATE
  ${CMAKE_CURRENT_SOURCE_DIR} ${PROJECT_SOURCE_DIR}/tests/fuzz)
target_link_libraries(atoll_ipcm_tests PRIVATE atoll_servers_portable_host GTest::gtest_main)
gtest_discover_tests(atoll_ipcm_tests DISCOVERY_TIMEOUT 60 PROPERTIES LABELS unit)

include(${PROJECT_SOURCE_DIR}/tests/fuzz/ipcm_fuzz.cmake)  # ATOLL_FUZZ: the libFuzzer target
