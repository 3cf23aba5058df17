# The kernel image: portable logic, arch code and the boot entry, linked at the higher half.
set(KERNEL_LINKER_SCRIPT ${CMAKE_CURRENT_BINARY_DIR}/kernel.ld)
add_custom_command(
  OUTPUT ${KERNEL_LINKER_SCRIPT}
  COMMAND ${CMAKE_C_COMPILER} -E -P -x c -I${PROJECT_SOURCE_DIR}/boot
          ${PROJECT_SOURCE_DIR}/boot/kernel.ld -o ${KERNEL_LINKER_SCRIPT}
  DEPENDS ${PROJECT_SOURCE_DIR}/boot/kernel.ld ${PROJECT_SOURCE_DIR}/boot/layout.h
  COMMENT "Preprocessing the kernel linker script")
add_custom_target(atoll_kernel_linker_script DEPENDS ${KERNEL_LINKER_SCRIPT})

add_executable(atoll_kernel
  ${KERNEL_PORTABLE_SOURCES}
  ${PROJECT_SOURCE_DIR}/boot/multiboot2_header.S
  ${PROJECT_SOURCE_DIR}/boot/entry.S
  arch/x86_64/context.S
  arch/x86_64/context.cpp
  arch/x86_64/debug_exit.cpp
  arch/x86_64/exceptions.cpp
  arch/x86_64/gdt.cpp
  arch/x86_64/idt.cpp
  arch/x86_64/interrupt_entry.S
  arch/x86_64/kernel_address_space.cpp
  arch/x86_64/pic.cpp
  arch/x86_64/pit.cpp
  arch/x86_64/serial.cpp
  arch/x86_64/user_address_space.cpp
  boot/init_loader.cpp
  crash.cpp
  cxx_runtime.cpp
  lib/mem.cpp
  log.cpp
  main.cpp
  mm/kernel_memory.cpp
  mm/user_access.cpp
  mm/user_frames.cpp
  object/endpoint.cpp
  object/handle_table.cpp
  object/ipc_fastpath.cpp
  object/irq_line.cpp
  object/message_transfer.cpp
  object/notification.cpp
  object/task.cpp
  object/thread.cpp
  object/thread_suspend.cpp
  panic.cpp
  sched/scheduler.cpp
  selftest/interrupt_selftest.cpp
  selftest/memory_selftest.cpp
  selftest/selftest.cpp
  syscall/basic.cpp
  syscall/device.cpp
  syscall/dispatch.cpp
  syscall/handle.cpp
  syscall/ipc.cpp
  syscall/memory.cpp
  syscall/task.cpp
  timer.cpp
  user_fault.cpp
)
set_target_properties(atoll_kernel PROPERTIES OUTPUT_NAME atoll.elf LINK_DEPENDS ${KERNEL_LINKER_SCRIPT})
add_dependencies(atoll_kernel atoll_kernel_linker_script)
target_include_directories(atoll_kernel PRIVATE ${CMAKE_CURRENT_SOURCE_DIR} ${PROJECT_SOURCE_DIR}/boot)
target_compile_definitions(atoll_kernel PRIVATE ATOLL_VERSION="${PROJECT_VERSION}")
target_link_options(atoll_kernel PRIVATE -T ${KERNEL_LINKER_SCRIPT})
target_link_libraries(atoll_kernel PRIVATE atoll_kernel_flags atoll_abi)
