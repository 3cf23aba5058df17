# Host unit tests of the servers' logic and of the protocol layer (libipc/include/atoll/
# protocols), over the same sources the servers run (servers/CMakeLists.txt).
add_executable(atoll_server_tests
  protocol_dispatch_test.cpp
  protocol_loopback.cpp
  protocol_layout_test.cpp
  servers_balancer_test.cpp
  servers_balancer_ctl_test.cpp
  servers_ctl_test.cpp
  servers_init_test.cpp
  servers_lib_test.cpp
  servers_migm_test.cpp
  servers_migm_cost_model_test.cpp
  servers_mm_test.cpp
  servers_mm_slice_test.cpp
  servers_mm_lazy_test.cpp
  servers_names_test.cpp
  servers_pm_test.cpp
  servers_pm_migration_test.cpp
  servers_trader_test.cpp
)
target_include_directories(atoll_server_tests PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(atoll_server_tests PRIVATE atoll_servers_portable_host GTest::gtest_main)
gtest_discover_tests(atoll_server_tests DISCOVERY_TIMEOUT 60 PROPERTIES LABELS unit)
