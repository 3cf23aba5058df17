# libFuzzer target for the page store's wire decoders and request path (docs/pagestore.md).
# Like ipcm_fuzz.cmake: clang with its fuzzer runtime, only these sources built with it.
if(NOT ATOLL_FUZZ)
  return()
endif()

add_executable(atoll_pagestore_wire_fuzz
  ${CMAKE_CURRENT_LIST_DIR}/pagestore_wire_fuzz.cpp
  ${CMAKE_CURRENT_LIST_DIR}/pagestore_wire_fuzz_entry.cpp
  ${PROJECT_SOURCE_DIR}/servers/lib/pagestore_wire.cpp
  ${PROJECT_SOURCE_DIR}/servers/pagestore/page_store.cpp
  ${PROJECT_SOURCE_DIR}/servers/pagestore/request_handler.cpp
)
target_include_directories(atoll_pagestore_wire_fuzz PRIVATE ${PROJECT_SOURCE_DIR}/servers)
target_compile_options(atoll_pagestore_wire_fuzz PRIVATE
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -g)
target_link_options(atoll_pagestore_wire_fuzz PRIVATE -fsanitize=fuzzer,address,undefined)
target_link_libraries(atoll_pagestore_wire_fuzz PRIVATE atoll_abi)
