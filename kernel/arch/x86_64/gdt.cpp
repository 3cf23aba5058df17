// The GDT and TSS: flat segments, and the stacks the CPU switches to on interrupts.
#include "arch/x86_64/gdt.h"

namespace atoll_os::kernel::x86_64 {
namespace {

struct [[gnu::packed]] TaskStateSegment {
  uint32_t reserved0;
  uint64_t rsp[3];
  uint64_t reserved1;
  uint64_t ist[7];
  uint64_t reserved2;
  uint16_t reserved3;
  uint16_t io_map_base;
};
static_assert(sizeof(TaskStateSegment) == 104);

struct [[gnu::packed]] DescriptorPointer {
  uint16_t limit;
  uint64_t base;
};

constexpr uint64_t kCode64 = 0x00af9a000000ffff;  // present, ring 0, code, long mode
constexpr uint64_t kData = 0x00cf92000000ffff;    // present, ring 0, writable data
constexpr uint64_t kRing3 = 3ull << 45;           // descriptor privilege level 3

alignas(16) TaskStateSegment tss;
alignas(16) uint8_t double_fault_stack[8192];
alignas(8) uint64_t gdt[8];

void set_tss_descriptor() {
  uint64_t base = reinterpret_cast<uint64_t>(&tss);
  uint64_t limit = sizeof(tss) - 1;
  gdt[kTaskState / 8] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) |
                        (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
  gdt[kTaskState / 8 + 1] = base >> 32;
}

void reload_segments() {
  asm volatile(
      "pushq %0\n"
      "leaq 1f(%%rip), %%rax\n"
      "pushq %%rax\n"
      "lretq\n"
      "1:\n"
      "mov %1, %%ds\n"
      "mov %1, %%es\n"
      "mov %1, %%ss\n"
      :
      : "i"(uint64_t(kKernelCode)), "r"(uint32_t(kKernelData))
      : "rax", "memory");
  asm volatile("ltr %0" : : "r"(kTaskState));
}

}  // namespace

uint8_t* const tss_kernel_stack =
    reinterpret_cast<uint8_t*>(&tss) + __builtin_offsetof(TaskStateSegment, rsp);

void gdt_init() {
  gdt[kKernelCode / 8] = kCode64;
  gdt[kKernelData / 8] = kData;
  gdt[kUserBase / 8] = 0;
  gdt[(kUserData & ~3) / 8] = kData | kRing3;
  gdt[(kUserCode & ~3) / 8] = kCode64 | kRing3;
  tss.ist[kDoubleFaultIst - 1] =
      reinterpret_cast<uint64_t>(double_fault_stack + sizeof(double_fault_stack));
  tss.io_map_base = sizeof(tss);  // no I/O bitmap: user I/O is granted per task later
  set_tss_descriptor();
  DescriptorPointer pointer{sizeof(gdt) - 1, reinterpret_cast<uint64_t>(gdt)};
  asm volatile("lgdt %0" : : "m"(pointer));
  reload_segments();
}

}  // namespace atoll_os::kernel::x86_64
