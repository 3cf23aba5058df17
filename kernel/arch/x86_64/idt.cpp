// The IDT and the interrupt dispatcher that every entry stub calls.
#include "arch/x86_64/idt.h"

#include "arch/x86_64/gdt.h"
#include "sched/scheduler.h"
#include "user_fault.h"

extern "C" const uint64_t interrupt_stub_table[256];

namespace atoll_os::kernel::x86_64 {
namespace {

struct [[gnu::packed]] GateDescriptor {
  uint16_t offset_low;
  uint16_t selector;
  uint8_t ist;
  uint8_t type_attributes;
  uint16_t offset_middle;
  uint32_t offset_high;
  uint32_t reserved;
};
static_assert(sizeof(GateDescriptor) == 16);

struct [[gnu::packed]] IdtPointer {
  uint16_t limit;
  uint64_t base;
};

constexpr uint8_t kInterruptGate = 0x8e;  // present, ring 0, interrupts disabled on entry
constexpr uint8_t kDoubleFaultVector = 8;

alignas(16) GateDescriptor idt[256];
InterruptHandler handlers[256];

GateDescriptor make_gate(uint64_t target, uint8_t ist) {
  return {uint16_t(target),
          kKernelCode,
          ist,
          kInterruptGate,
          uint16_t(target >> 16),
          uint32_t(target >> 32),
          0};
}

}  // namespace

void idt_init() {
  for (int v = 0; v < 256; ++v) {
    uint8_t ist = v == kDoubleFaultVector ? kDoubleFaultIst : 0;
    idt[v] = make_gate(interrupt_stub_table[v], ist);
  }
  IdtPointer pointer{sizeof(idt) - 1, reinterpret_cast<uint64_t>(idt)};
  asm volatile("lidt %0" : : "m"(pointer));
}

void set_interrupt_handler(uint8_t vector, InterruptHandler handler) {
  handlers[vector] = handler;
}

}  // namespace atoll_os::kernel::x86_64

/// Called by interrupt_common with the saved frame; interrupts are disabled.
extern "C" void interrupt_dispatch(atoll_os::kernel::x86_64::InterruptFrame* frame) {
  using namespace atoll_os::kernel::x86_64;
  uint64_t vector = frame->vector & 0xff;
  InterruptHandler handler = handlers[vector];
  if (handler != nullptr) {
    handler(*frame);
    if (vector >= kIrqBase) atoll_os::kernel::preempt_if_needed();
    return;
  }
  bool from_user = (frame->cs & 3) == 3;
  if (from_user && vector < kIrqBase) {
    atoll_os::kernel::handle_user_exception(*frame);
    return;
  }
  panic_on_exception(*frame);
}
