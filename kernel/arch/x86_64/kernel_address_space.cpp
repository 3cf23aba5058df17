// The kernel's own page tables, replacing the boot-time 4 GiB identity and direct maps.
#include "arch/x86_64/kernel_address_space.h"

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/memory_layout.h"
#include "log.h"
#include "panic.h"

namespace atoll_os::kernel::x86_64 {
namespace {

alignas(PageTable) uint8_t table_storage[sizeof(PageTable)];
PageTable* table = nullptr;

void map_section(PageTable& pt, const char* start, const char* end, uint32_t flags,
                 const char* name) {
  uint64_t virt = align_down(reinterpret_cast<uint64_t>(start), kPageSize);
  uint64_t length = align_up(reinterpret_cast<uint64_t>(end), kPageSize) - virt;
  if (length == 0) return;
  auto mapped = pt.map_range(virt, virt - kKernelVirtualBase, length, flags, PageSize::k4K);
  if (!mapped.ok()) panic("paging: cannot map kernel %s: %s", name, error_name(mapped.error()));
}

}  // namespace

void build_kernel_address_space(FrameAllocator& frames, PhysAddr physical_top) {
  auto created = PageTable::create(kDirectMap, frames);
  if (!created.ok()) panic("paging: no frame for the kernel PML4");
  table = new (table_storage) PageTable(created.release_value());

  uint64_t top = align_up(physical_top, kLargePageSize);
  auto direct = table->map_range(kDirectMapBase, 0, top, kPageWritable | kPageGlobal);
  if (!direct.ok()) panic("paging: cannot build the direct map: %s", error_name(direct.error()));

  map_section(*table, __text_start, __text_end, kPageExecutable | kPageGlobal, "text");
  map_section(*table, __rodata_start, __rodata_end, kPageGlobal, "rodata");
  map_section(*table, __data_start, __kernel_image_end, kPageWritable | kPageGlobal, "data");
  write_cr3(table->root());
  log_info("paging: kernel tables at 0x%lx, direct map of %lu MiB at 0x%lx", table->root(),
           top >> 20, kDirectMapBase);
}

PageTable& kernel_page_table() {
  return *table;
}

}  // namespace atoll_os::kernel::x86_64
