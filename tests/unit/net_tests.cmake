# Host unit tests of the net server's hardware-independent pieces (servers/net): the virtqueue
# rings over a host buffer and PCI configuration logic over a fake configuration space.
# Compiled from the server's sources until servers/CMakeLists.txt builds a net server.
add_executable(atoll_net_tests
  net_pci_test.cpp
  net_virtqueue_test.cpp
  ${PROJECT_SOURCE_DIR}/servers/net/pci.cpp
  ${PROJECT_SOURCE_DIR}/servers/net/virtqueue.cpp
)
target_include_directories(atoll_net_tests PRIVATE ${PROJECT_SOURCE_DIR}/servers)
target_link_libraries(atoll_net_tests PRIVATE atoll_abi atoll_host GTest::gtest_main)
gtest_discover_tests(atoll_net_tests DISCOVERY_TIMEOUT 60 PROPERTIES LABELS unit)
