# libFuzzer target for the ipcm wire decoder and stream framer (docs/ipcm.md, "Fuzzing").
# Needs clang with its fuzzer runtime (Debian: clang-14 and libclang-rt-14-dev); only the
# ipcm wire sources are compiled, so the rest of the tree never has to build with clang.
option(ATOLL_FUZZ "Build the libFuzzer targets (clang with -fsanitize=fuzzer)" OFF)
if(NOT ATOLL_FUZZ)
  return()
endif()

include(CheckCXXSourceCompiles)
set(CMAKE_REQUIRED_FLAGS -fsanitize=fuzzer)
set(CMAKE_REQUIRED_LINK_OPTIONS -fsanitize=fuzzer)
check_cxx_source_compiles([[
  #include <stddef.h>
  #include <stdint.h>
  extern "C" int LLVMFuzzerTestOneInput(const uint8_t*, size_t) { return 0; }
]] ATOLL_HAVE_LIBFUZZER)
unset(CMAKE_REQUIRED_FLAGS)
unset(CMAKE_REQUIRED_LINK_OPTIONS)
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang" OR NOT ATOLL_HAVE_LIBFUZZER)
  message(FATAL_ERROR "ATOLL_FUZZ needs clang with libFuzzer: configure with "
                      "-DCMAKE_CXX_COMPILER=clang++ (package libclang-rt-14-dev)")
endif()

add_executable(atoll_ipcm_wire_fuzz
  ${CMAKE_CURRENT_LIST_DIR}/ipcm_wire_fuzz.cpp
  ${CMAKE_CURRENT_LIST_DIR}/ipcm_wire_fuzz_entry.cpp
  ${PROJECT_SOURCE_DIR}/servers/ipcm/port_id.cpp
  ${PROJECT_SOURCE_DIR}/servers/ipcm/stream_framer.cpp
  ${PROJECT_SOURCE_DIR}/servers/ipcm/wire.cpp
)
target_include_directories(atoll_ipcm_wire_fuzz PRIVATE ${PROJECT_SOURCE_DIR}/servers)
target_compile_options(atoll_ipcm_wire_fuzz PRIVATE
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -g)
target_link_options(atoll_ipcm_wire_fuzz PRIVATE -fsanitize=fuzzer,address,undefined)
target_link_libraries(atoll_ipcm_wire_fuzz PRIVATE atoll_abi)
