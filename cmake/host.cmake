# Flags for code that runs on the host: unit tests, the cluster library, system tests, tools.
add_library(atoll_host INTERFACE)
target_compile_options(atoll_host INTERFACE -Wall -Wextra -g)
if(ATOLL_SANITIZE)
  # CI runs the host tests under ASan and UBSan; a UB report fails the test.
  target_compile_options(atoll_host INTERFACE
    -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  target_link_options(atoll_host INTERFACE -fsanitize=address,undefined)
endif()
find_package(GTest REQUIRED)
include(GoogleTest)
