# Host unit tests of the shared virtio device layer (servers/lib: pci, virtqueue): the virtqueue
# rings over a host buffer and PCI configuration logic over a fake configuration space.
# Compiled from the server's sources until servers/CMakeLists.txt builds a net server.
add_executable(atoll_net_tests
  net_pci_test.cpp
  net_virtqueue_test.cpp
  ${PROJECT_SOURCE_DIR}/servers/lib/pci.cpp
  ${PROJECT_SOURCE_DIR}/servers/lib/virtqueue.cpp
)
target_include_directories(atoll_net_tests PRIVATE ${PROJECT_SOURCE_DIR}/servers)
target_link_libraries(atoll_net_tests PRIVATE atoll_abi atoll_host GTest::gtest_main)
gtest_discover_tests(atoll_net_tests DISCOVERY_TIMEOUT 60 PROPERTIES LABELS unit)

# lwIP with the net server's configuration and its netif glue (servers/net/lwip_port,
# ethernet_interface), and the node's network identity (net_config). lwIP is one stack per
# process, so these are apart from the tests above.
add_executable(atoll_net_lwip_tests
  net_config_test.cpp
  net_ethernet_interface_test.cpp
  net_lwip_tcp_test.cpp
  net_pending_connection_test.cpp
  net_test_wire.cpp
  ${PROJECT_SOURCE_DIR}/servers/net/ethernet_interface.cpp
  ${PROJECT_SOURCE_DIR}/servers/net/pending_connection.cpp
  ${PROJECT_SOURCE_DIR}/servers/net/net_config.cpp
  ${PROJECT_SOURCE_DIR}/kernel/lib/command_line.cpp  # node=, ip=, mac= as the kernel splits them
)
target_include_directories(atoll_net_lwip_tests PRIVATE
  ${CMAKE_CURRENT_SOURCE_DIR} ${PROJECT_SOURCE_DIR}/servers
  ${PROJECT_SOURCE_DIR}/kernel)
target_link_libraries(atoll_net_lwip_tests PRIVATE atoll_lwip_host GTest::gtest_main)
gtest_discover_tests(atoll_net_lwip_tests DISCOVERY_TIMEOUT 60 PROPERTIES LABELS unit)
