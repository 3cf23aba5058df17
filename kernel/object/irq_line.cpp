// IRQ lines delivered as notifications.
#include "object/irq_line.h"

#include "arch/x86_64/idt.h"
#include "arch/x86_64/pic.h"
#include "sched/scheduler.h"

namespace atoll_os::kernel {
namespace {

constexpr uint8_t kTimerIrq = 0, kCascadeIrq = 2;

template <uint8_t kIrq>
void handler(x86_64::InterruptFrame&) {
  x86_64::pic_end_of_interrupt(kIrq);
  if (IrqLine* line = IrqLine::line(kIrq)) line->acknowledge_from_interrupt();
}

template <uint8_t... kIrqs>
void install(std::integer_sequence<uint8_t, kIrqs...>) {
  ((kIrqs != kTimerIrq && kIrqs != kCascadeIrq
        ? x86_64::set_interrupt_handler(x86_64::kIrqBase + kIrqs, handler<kIrqs>)
        : void()),
   ...);
}

}  // namespace

void IrqLine::create_all() {
  for (uint8_t irq = 0; irq < kLines; ++irq) {
    if (irq == kTimerIrq || irq == kCascadeIrq) continue;
    lines_[irq] = new IrqLine(irq);
  }
  install(std::make_integer_sequence<uint8_t, kLines>{});
}

void IrqLine::bind(Notification* notification, uint64_t bits) {
  if (notification) notification->retain();
  if (notification_) notification_->release();
  notification_ = notification;
  bits_ = bits;
  if (notification_)
    x86_64::pic_unmask(irq_);
  else
    x86_64::pic_mask(irq_);
}

void IrqLine::acknowledge() {
  if (notification_) x86_64::pic_unmask(irq_);
}

void IrqLine::acknowledge_from_interrupt() {
  if (notification_ == nullptr) return;  // spurious or unbound: stays masked
  x86_64::pic_mask(irq_);
  notification_->signal(bits_);
}

}  // namespace atoll_os::kernel
