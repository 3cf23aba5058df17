# Host unit tests of the page store (servers/pagestore) and its wire format and request path
# (servers/lib/pagestore_wire), over fake disks; compiled from the server's portable sources.
# The corpus test drives the fuzz target's entry point, so the gcc/ASan build exercises it.
add_executable(atoll_pagestore_tests
  pagestore_wire_test.cpp
  pagestore_store_test.cpp
  ${PROJECT_SOURCE_DIR}/tests/fuzz/pagestore_wire_fuzz_entry.cpp
  ${PROJECT_SOURCE_DIR}/servers/lib/pagestore_wire.cpp
  ${PROJECT_SOURCE_DIR}/servers/pagestore/page_store.cpp
  ${PROJECT_SOURCE_DIR}/servers/pagestore/request_handler.cpp
)
target_include_directories(atoll_pagestore_tests PRIVATE
  ${PROJECT_SOURCE_DIR}/servers ${PROJECT_SOURCE_DIR}/tests/fuzz)
target_link_libraries(atoll_pagestore_tests PRIVATE atoll_abi atoll_host GTest::gtest_main)
gtest_discover_tests(atoll_pagestore_tests DISCOVERY_TIMEOUT 60 PROPERTIES LABELS unit)

include(${PROJECT_SOURCE_DIR}/tests/fuzz/pagestore_fuzz.cmake)  # ATOLL_FUZZ: the libFuzzer target
