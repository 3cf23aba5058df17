# lwIP 2.1, the net server's TCP/IP stack, from Debian's `lwip` source package: tools/fetch-lwip
# (run by `tools/atoll setup`) unpacks it into the build tree; none of it is committed. Two
# builds of the same lwIP sources with the same configuration (servers/net/lwip_port/):
#   atoll_lwip       for the node: freestanding C with atoll_user_flags, the runtime's clock
#   atoll_lwip_host  for host unit tests: host compiler, sanitizers, a fake clock
# Only lwIP's core is built: IPv4, ARP/Ethernet, ICMP, UDP, TCP and raw PCBs, with the raw
# callback API (no IPv6, netconn, sockets or apps). See docs/lwip.md.

set(ATOLL_LWIP_FETCH_DIR ${CMAKE_BINARY_DIR}/third_party/lwip)
set(ATOLL_LWIP_PORT_DIR ${CMAKE_CURRENT_LIST_DIR}/../servers/net/lwip_port)
cmake_path(NORMAL_PATH ATOLL_LWIP_PORT_DIR)

# The unpacked tree: the version tools/fetch-lwip is known to yield, else any lwip-* there.
if(NOT ATOLL_LWIP_DIR)
  set(found ${ATOLL_LWIP_FETCH_DIR}/lwip-2.1.3+dfsg1)
  if(NOT EXISTS ${found}/src/core/tcp.c)
    file(GLOB found LIST_DIRECTORIES true ${ATOLL_LWIP_FETCH_DIR}/lwip-*/src/core/tcp.c)
    list(SORT found)
    list(POP_BACK found found)
    if(found)
      cmake_path(GET found PARENT_PATH found)  # src/core
      cmake_path(GET found PARENT_PATH found)  # src
      cmake_path(GET found PARENT_PATH found)
    endif()
  endif()
  if(found)
    set(ATOLL_LWIP_DIR ${found} CACHE PATH "lwIP source tree (unpacked by tools/fetch-lwip)")
  endif()
endif()
if(NOT EXISTS "${ATOLL_LWIP_DIR}/src/core/tcp.c")
  message(FATAL_ERROR
    "lwIP sources not found (looked in '${ATOLL_LWIP_FETCH_DIR}'). Run `tools/atoll setup`, "
    "or `tools/fetch-lwip ${ATOLL_LWIP_FETCH_DIR}`, or set ATOLL_LWIP_DIR to an unpacked "
    "lwIP 2.1 tree.")
endif()

# lwipopts.h is tuned for the 2.1 series (its option names and sanity checks).
file(STRINGS ${ATOLL_LWIP_DIR}/src/include/lwip/init.h version_lines
     REGEX "#define LWIP_VERSION_(MAJOR|MINOR) +[0-9]+")
string(REGEX REPLACE ".*MAJOR +([0-9]+).*MINOR +([0-9]+).*" "\\1.\\2" ATOLL_LWIP_VERSION
       "${version_lines}")
if(NOT ATOLL_LWIP_VERSION VERSION_EQUAL 2.1)
  message(FATAL_ERROR "${ATOLL_LWIP_DIR} is lwIP ${ATOLL_LWIP_VERSION}; the port needs 2.1")
endif()

set(ATOLL_LWIP_SOURCES)
foreach(file
    core/def.c core/inet_chksum.c core/init.c core/ip.c core/mem.c core/memp.c core/netif.c
    core/pbuf.c core/raw.c core/stats.c core/sys.c core/tcp.c core/tcp_in.c core/tcp_out.c
    core/timeouts.c core/udp.c
    core/ipv4/etharp.c core/ipv4/icmp.c core/ipv4/ip4.c core/ipv4/ip4_addr.c
    core/ipv4/ip4_frag.c
    netif/ethernet.c)
  list(APPEND ATOLL_LWIP_SOURCES ${ATOLL_LWIP_DIR}/src/${file})
endforeach()

# Settings both builds share: lwIP's headers, then the port's lwipopts.h, arch/cc.h and
# hooks; C11 for lwIP's C files.
function(atoll_lwip_library NAME)
  add_library(${NAME} STATIC ${ATOLL_LWIP_SOURCES} ${ARGN}
              ${ATOLL_LWIP_PORT_DIR}/route_by_source.cpp)
  target_include_directories(${NAME} SYSTEM PUBLIC ${ATOLL_LWIP_DIR}/src/include)
  target_include_directories(${NAME} PUBLIC ${ATOLL_LWIP_PORT_DIR})
  set_target_properties(${NAME} PROPERTIES C_STANDARD 11 C_EXTENSIONS OFF)
endfunction()

atoll_lwip_library(atoll_lwip ${ATOLL_LWIP_PORT_DIR}/sys_arch_node.cpp)
# <string.h> and <stdlib.h> declaring only what the user runtime defines, for lwIP's C files:
# the host's libc headers must not stand in for a libc the node does not have.
target_include_directories(atoll_lwip PRIVATE
  $<$<COMPILE_LANGUAGE:C>:${ATOLL_LWIP_PORT_DIR}/freestanding>)
target_compile_options(atoll_lwip PRIVATE
  -ffunction-sections -fdata-sections  # programs link with --gc-sections
)
target_link_libraries(atoll_lwip PUBLIC atoll_user_runtime)

atoll_lwip_library(atoll_lwip_host ${ATOLL_LWIP_PORT_DIR}/sys_arch_host.cpp)
target_link_libraries(atoll_lwip_host PUBLIC atoll_abi atoll_host)
