# atoll_user_program(): builds one static user program (an app or a server) and puts it on
# the ISO as a multiboot2 module named after it.
#
#   atoll_user_program(NAME [SOURCES] source... [LIBRARIES lib...] [NO_MODULE])
#
# The program is a static ET_EXEC linked at abi::kUserImageBase (0x400000) by
# libipc/user.ld, with the user runtime (crt0, syscalls, print, heap, strings). Its entry is
# `int main(int argc, char** argv)`; see libipc/include/atoll/user/runtime.h.
#
# Every program not marked NO_MODULE is appended to the global property ATOLL_BOOT_MODULES as
# a "name;path" pair (path is a $<TARGET_FILE:...> generator expression). boot/ reads that
# property, so it must be added after every directory that defines programs.
#
# Each link is followed by a layout check (this file in script mode, below): ET_EXEC, first
# PT_LOAD at 0x400000, every PT_LOAD page-aligned with no two sharing a page, no PT_INTERP
# or PT_DYNAMIC. A program the loader would have to refuse then fails the build instead.

if(CMAKE_SCRIPT_MODE_FILE)
  # cmake -DELF=<file> -DREADELF=<readelf> -P user_program.cmake
  execute_process(COMMAND ${READELF} -hlW ${ELF} OUTPUT_VARIABLE headers RESULT_VARIABLE failed)
  if(failed)
    message(FATAL_ERROR "${ELF}: readelf failed")
  endif()
  set(problems)
  if(NOT headers MATCHES "Type: +EXEC ")
    list(APPEND problems "not a static ET_EXEC")
  endif()
  if(headers MATCHES "\n +(INTERP|DYNAMIC) ")
    list(APPEND problems "has a PT_INTERP or PT_DYNAMIC segment")
  endif()
  string(REGEX MATCHALL "\n +LOAD +0x[0-9a-f]+ +0x[0-9a-f]+ +0x[0-9a-f]+ +0x[0-9a-f]+ +0x[0-9a-f]+"
         loads "${headers}")
  set(previous_end 0)
  set(first TRUE)
  foreach(load IN LISTS loads)
    string(REGEX MATCHALL "0x[0-9a-f]+" fields "${load}")
    list(GET fields 0 offset)
    list(GET fields 1 vaddr)
    list(GET fields 4 memsz)
    math(EXPR page_offset "(${vaddr}) % 4096")
    math(EXPR file_page_offset "(${offset}) % 4096")
    if(first AND NOT vaddr EQUAL 0x400000)
      list(APPEND problems "first PT_LOAD at ${vaddr}, not kUserImageBase 0x400000")
    endif()
    if(NOT page_offset EQUAL 0 OR NOT file_page_offset EQUAL 0)
      list(APPEND problems "PT_LOAD at ${vaddr} (file offset ${offset}) is not page-aligned")
    endif()
    if(vaddr LESS previous_end)
      list(APPEND problems "PT_LOAD at ${vaddr} shares a page with the segment before it")
    endif()
    math(EXPR previous_end "((${vaddr}) + (${memsz}) + 4095) / 4096 * 4096")
    set(first FALSE)
  endforeach()
  if(NOT loads)
    list(APPEND problems "no PT_LOAD segment")
  endif()
  if(problems)
    list(JOIN problems "; " text)
    message(FATAL_ERROR "${ELF}: ${text}")
  endif()
  return()
endif()

set(ATOLL_USER_LINKER_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/../libipc/user.ld)
cmake_path(NORMAL_PATH ATOLL_USER_LINKER_SCRIPT)
set(ATOLL_USER_PROGRAM_CHECK ${CMAKE_CURRENT_LIST_FILE})
find_program(ATOLL_READELF NAMES readelf REQUIRED)

function(atoll_user_program NAME)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "NO_MODULE" "" "SOURCES;LIBRARIES")
  set(sources ${ARG_SOURCES} ${ARG_UNPARSED_ARGUMENTS})
  if(NOT sources)
    message(FATAL_ERROR "atoll_user_program(${NAME}): no sources")
  endif()
  string(LENGTH "${NAME}" name_length)
  if(name_length GREATER 47)
    # abi::BootModuleEntry::name holds 47 characters and a NUL.
    message(FATAL_ERROR "atoll_user_program(${NAME}): name longer than 47 characters")
  endif()

  add_executable(${NAME} ${sources})
  set_target_properties(${NAME} PROPERTIES LINK_DEPENDS ${ATOLL_USER_LINKER_SCRIPT})
  target_link_libraries(${NAME} PRIVATE ${ARG_LIBRARIES} atoll_user_runtime)
  target_link_options(${NAME} PRIVATE
    -T ${ATOLL_USER_LINKER_SCRIPT}
    -Wl,--undefined=_start  # crt0 lives in the runtime archive; nothing else refers to it
    -Wl,--gc-sections       # drop the runtime's unused functions (it is built per-section)
  )

  add_custom_command(TARGET ${NAME} POST_BUILD
    COMMAND ${CMAKE_COMMAND} -DELF=$<TARGET_FILE:${NAME}> -DREADELF=${ATOLL_READELF}
            -P ${ATOLL_USER_PROGRAM_CHECK}
    VERBATIM)

  if(NOT ARG_NO_MODULE)
    set_property(GLOBAL APPEND PROPERTY ATOLL_BOOT_MODULES ${NAME} $<TARGET_FILE:${NAME}>)
  endif()
endfunction()
