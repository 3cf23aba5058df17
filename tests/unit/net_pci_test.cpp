// PCI enumeration, BAR sizing, interrupt line and command register over a fake config space.
#include <gtest/gtest.h>

#include <map>
#include <tuple>
#include <vector>

#include "lib/pci.h"

namespace atoll_os::servers::devices {
namespace {

/// A configuration space that behaves like hardware: absent functions read all ones, BARs
/// keep only their writable bits, status bits clear when written with one.
class FakeConfigSpace final : public ConfigSpace {
 public:
  struct Function {
    uint32_t regs[64] = {};
    uint32_t writable[64];
    Function() {
      for (uint32_t& w : writable) w = 0xffffffff;
      writable[0] = writable[2] = writable[3] = 0;           // ids, class, header type
      for (int bar = 4; bar < 10; ++bar) writable[bar] = 0;  // unimplemented until set_bar()
    }
  };
  struct BarWrite {
    uint8_t offset;
    uint32_t value;
    uint16_t command;  // the command register when it happened
  };

  Function& add(uint8_t bus, uint8_t device, uint8_t function, uint16_t vendor, uint16_t id,
                uint8_t header_type = 0) {
    Function& f = functions_[{bus, device, function}];
    f.regs[0] = uint32_t{id} << 16 | vendor;
    f.regs[2] = 0x02000000;  // network controller
    f.regs[3] = uint32_t{header_type} << 16;
    return f;
  }
  /// Bits outside `writable` keep their value from `value`, as hardwired bits do.
  static void set_bar(Function& f, unsigned index, uint32_t value, uint32_t writable) {
    f.regs[4 + index] = value;
    f.writable[4 + index] = writable;
  }
  Function& at(uint8_t bus, uint8_t device, uint8_t function) {
    return functions_.at({bus, device, function});
  }

  uint32_t read32(uint8_t bus, uint8_t device, uint8_t function, uint8_t offset) override {
    EXPECT_EQ(offset % 4, 0);
    ++reads_;
    const Function* f = find(bus, device, function);
    return f ? f->regs[offset / 4] : 0xffffffff;
  }
  void write32(uint8_t bus, uint8_t device, uint8_t function, uint8_t offset,
               uint32_t value) override {
    Function* f = find(bus, device, function);
    ASSERT_NE(f, nullptr) << "write to an absent function";
    uint32_t& reg = f->regs[offset / 4];
    if (offset == kPciCommandStatus) {
      const uint32_t status = (reg >> 16) & ~(value >> 16);  // write one to clear
      reg = status << 16 | (value & 0xffff);
      return;
    }
    if (offset >= kPciBar0 && offset < kPciBar0 + 24) {
      bar_writes_.push_back({offset, value, static_cast<uint16_t>(f->regs[1])});
    }
    reg = (value & f->writable[offset / 4]) | (reg & ~f->writable[offset / 4]);
  }

  /// A single-function device that answers on every function number, as some do.
  void alias_functions_of(uint8_t bus, uint8_t device) { aliased_.push_back({bus, device}); }

  std::vector<BarWrite> bar_writes_;
  size_t reads_ = 0;

 private:
  Function* find(uint8_t bus, uint8_t device, uint8_t function) {
    for (auto [b, d] : aliased_) {
      if (b == bus && d == device) function = 0;
    }
    auto it = functions_.find({bus, device, function});
    return it == functions_.end() ? nullptr : &it->second;
  }
  std::map<std::tuple<uint8_t, uint8_t, uint8_t>, Function> functions_;
  std::vector<std::pair<uint8_t, uint8_t>> aliased_;
};

constexpr PciAddress kNet{0, 3, 0};

/// QEMU's pc machine, roughly, plus a second network card behind bus 2.
class PciTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.add(0, 0, 0, 0x8086, 0x1237);        // host bridge
    config_.add(0, 1, 0, 0x8086, 0x7000, 0x80);  // ISA, multi-function
    config_.add(0, 1, 1, 0x8086, 0x7010);        // IDE
    config_.add(0, 1, 3, 0x8086, 0x7113);        // ACPI (no function 2)
    auto& net = config_.add(0, 3, 0, kVirtioVendor, kVirtioNetTransitionalDevice);
    net.regs[kPciSubsystem / 4] = uint32_t{kVirtioSubsystemNet} << 16 | kVirtioVendor;
    net.regs[kPciInterrupt / 4] = 0x0100 | 11;  // pin INTA, line 11
    net.regs[1] = 0x2000'0002;  // memory decoding on; status: a master abort was seen
    FakeConfigSpace::set_bar(net, 0, 0xc041, 0xffffffe0);      // I/O, 32 ports at 0xc040
    FakeConfigSpace::set_bar(net, 1, 0xfebf1000, 0xfffff000);  // 32-bit memory, 4 KiB
    FakeConfigSpace::set_bar(net, 4, 0x0000000c, 0xffffc000);  // 64-bit prefetchable, 16 KiB
    FakeConfigSpace::set_bar(net, 5, 0x00000008, 0xffffffff);  // ... at 0x8'0000'0000
    auto& blk = config_.add(0, 4, 0, kVirtioVendor, 0x1001);
    blk.regs[kPciSubsystem / 4] = 2u << 16 | kVirtioVendor;
    config_.add(0, 5, 0, 0x1234, 0x1111);  // single-function ...
    config_.alias_functions_of(0, 5);      // ... answering on all eight numbers
    auto& odd = config_.add(0, 6, 0, kVirtioVendor, kVirtioNetTransitionalDevice);
    odd.regs[kPciSubsystem / 4] = 5u << 16 | kVirtioVendor;     // same ids, another subsystem
    auto& bridge = config_.add(0, 7, 0, 0x8086, 0x244e, 0x01);  // PCI-to-PCI bridge
    bridge.regs[kPciSubsystem / 4] = 0x12345678;  // a bridge's prefetchable limit, not ids
    auto& net2 = config_.add(2, 0, 0, kVirtioVendor, kVirtioNetTransitionalDevice);
    net2.regs[kPciSubsystem / 4] = uint32_t{kVirtioSubsystemNet} << 16 | kVirtioVendor;
  }
  FakeConfigSpace config_;
};

TEST_F(PciTest, EnumeratesEveryFunctionInBusOrder) {
  PciFunction found[16];
  ASSERT_EQ(enumerate(config_, found), 10u);
  const PciAddress expected[] = {{0, 0, 0}, {0, 1, 0}, {0, 1, 1}, {0, 1, 3}, {0, 3, 0},
                                 {0, 4, 0}, {0, 5, 0}, {0, 6, 0}, {0, 7, 0}, {2, 0, 0}};
  for (size_t i = 0; i < 10; ++i) {
    EXPECT_EQ(found[i].address.bus, expected[i].bus) << i;
    EXPECT_EQ(found[i].address.device, expected[i].device) << i;
    EXPECT_EQ(found[i].address.function, expected[i].function) << i;
  }
  EXPECT_EQ(found[1].header_type, 0);  // the multi-function bit is not part of the type
  EXPECT_EQ(found[2].device_id, 0x7010);
  EXPECT_EQ(found[8].header_type, 1);
  EXPECT_EQ(found[8].subsystem_id, 0);  // a bridge has no subsystem fields
  EXPECT_EQ(found[4].class_code, 0x02);
  EXPECT_EQ(found[4].subsystem_id, kVirtioSubsystemNet);
  EXPECT_EQ(found[4].subsystem_vendor_id, kVirtioVendor);
}

TEST_F(PciTest, EnumerationCountsBeyondTheOutputSpan) {
  PciFunction found[3] = {};
  EXPECT_EQ(enumerate(config_, found), 10u);
  EXPECT_EQ(found[2].address.function, 1);
  EXPECT_EQ(enumerate(config_, {}), 10u);
}

TEST_F(PciTest, FindsTheTransitionalVirtioNetDevice) {
  auto net = find_device(config_, kVirtioNetMatch);
  ASSERT_TRUE(net.ok());
  EXPECT_EQ(net->address.device, 3);
  auto second = find_device(config_, kVirtioNetMatch, 1);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->address.bus, 2);  // 0:06.0 has the ids but not the subsystem
  EXPECT_EQ(find_device(config_, kVirtioNetMatch, 2).error(), Error::kNotFound);
  auto any = find_device(config_, {kVirtioVendor, kVirtioNetTransitionalDevice, -1}, 1);
  ASSERT_TRUE(any.ok());
  EXPECT_EQ(any->address.device, 6);
  EXPECT_EQ(find_device(config_, {0x10ec, 0x8139, -1}).error(), Error::kNotFound);
}

TEST_F(PciTest, RefusesImpossibleAndAbsentAddresses) {
  EXPECT_EQ(read_function(config_, {0, 32, 0}).error(), Error::kInvalidArgument);
  EXPECT_EQ(read_function(config_, {0, 3, 8}).error(), Error::kInvalidArgument);
  EXPECT_EQ(read_function(config_, {0, 1, 2}).error(), Error::kNotFound);
  EXPECT_EQ(read_function(config_, {255, 31, 7}).error(), Error::kNotFound);
  EXPECT_EQ(read_bar(config_, {0, 9, 0}, 0).error(), Error::kNotFound);
  EXPECT_EQ(read_bar(config_, {0, 32, 0}, 0).error(), Error::kInvalidArgument);
  EXPECT_EQ(interrupt_line(config_, {0, 9, 0}).error(), Error::kNotFound);
  EXPECT_EQ(update_command(config_, {0, 9, 0}, kPciCommandIo).error(), Error::kNotFound);
}

TEST_F(PciTest, SizesIoAnd32BitMemoryBars) {
  auto io = read_bar(config_, kNet, 0);
  ASSERT_TRUE(io.ok()) << error_name(io.error());
  EXPECT_EQ(io->kind, PciBar::Kind::kIo);
  EXPECT_EQ(io->address, 0xc040u);
  EXPECT_EQ(io->size, 32u);
  auto mem = read_bar(config_, kNet, 1);
  ASSERT_TRUE(mem.ok()) << error_name(mem.error());
  EXPECT_EQ(mem->kind, PciBar::Kind::kMemory32);
  EXPECT_EQ(mem->address, 0xfebf1000u);
  EXPECT_EQ(mem->size, 4096u);
  EXPECT_FALSE(mem->prefetchable);
}

TEST_F(PciTest, Sizes64BitMemoryBar) {
  auto mem = read_bar(config_, kNet, 4);
  ASSERT_TRUE(mem.ok()) << error_name(mem.error());
  EXPECT_EQ(mem->kind, PciBar::Kind::kMemory64);
  EXPECT_TRUE(mem->prefetchable);
  EXPECT_EQ(mem->address, 0x8'0000'0000u);
  EXPECT_EQ(mem->size, 16384u);
  // A BAR larger than 4 GiB needs the upper half's mask too.
  FakeConfigSpace::set_bar(config_.at(0, 3, 0), 5, 0x10, 0xfffffff0);  // 64 GiB
  FakeConfigSpace::set_bar(config_.at(0, 3, 0), 4, 0xc, 0x00000000);
  EXPECT_EQ(read_bar(config_, kNet, 4)->size, 64ull << 30);
}

TEST_F(PciTest, SizingRestoresEveryRegisterWithDecodingOff) {
  const FakeConfigSpace::Function before = config_.at(0, 3, 0);
  for (unsigned bar : {0u, 1u, 4u}) ASSERT_TRUE(read_bar(config_, kNet, bar).ok()) << bar;
  const FakeConfigSpace::Function& after = config_.at(0, 3, 0);
  for (int i = 0; i < 64; ++i) EXPECT_EQ(after.regs[i], before.regs[i]) << "register " << i;
  ASSERT_EQ(config_.bar_writes_.size(), 8u);  // ones and restore: BAR0, BAR1, BAR4 + BAR5
  for (const auto& w : config_.bar_writes_) {
    EXPECT_EQ(w.command & (kPciCommandIo | kPciCommandMemory), 0) << int{w.offset};
  }
}

TEST_F(PciTest, IoBarDecodingSixteenBits) {
  FakeConfigSpace::set_bar(config_.at(0, 3, 0), 0, 0xc041, 0x0000ffe0);
  auto io = read_bar(config_, kNet, 0);
  ASSERT_TRUE(io.ok());
  EXPECT_EQ(io->size, 32u);
}

TEST_F(PciTest, MalformedBars) {
  EXPECT_EQ(read_bar(config_, kNet, 2).error(), Error::kNotFound);  // unimplemented
  EXPECT_EQ(read_bar(config_, kNet, 6).error(), Error::kOutOfRange);
  EXPECT_EQ(read_bar(config_, kNet, 1000).error(), Error::kOutOfRange);
  auto& net = config_.at(0, 3, 0);
  FakeConfigSpace::set_bar(net, 5, 0x4, 0xffffc000);  // 64-bit in the last slot
  EXPECT_EQ(read_bar(config_, kNet, 5).error(), Error::kBadFormat);
  FakeConfigSpace::set_bar(net, 3, 0x2, 0xfffff000);  // reserved type 01
  EXPECT_EQ(read_bar(config_, kNet, 3).error(), Error::kBadFormat);
  FakeConfigSpace::set_bar(net, 3, 0x6, 0xfffff000);  // reserved type 11
  EXPECT_EQ(read_bar(config_, kNet, 3).error(), Error::kBadFormat);
  FakeConfigSpace::set_bar(net, 1, 0xfe000000, 0xfff0f000);  // writable bits with a hole
  EXPECT_EQ(read_bar(config_, kNet, 1).error(), Error::kBadFormat);
  FakeConfigSpace::set_bar(net, 0, 0x0041, 0xffff00e0);
  EXPECT_EQ(read_bar(config_, kNet, 0).error(), Error::kBadFormat);
  // A bridge has two BARs; a CardBus bridge (type 2) none that this code knows.
  EXPECT_EQ(read_bar(config_, {0, 7, 0}, 2).error(), Error::kOutOfRange);
  config_.at(0, 7, 0).regs[3] = 0x02 << 16;
  EXPECT_EQ(read_bar(config_, {0, 7, 0}, 0).error(), Error::kNotSupported);
}

TEST_F(PciTest, InterruptLine) {
  auto line = interrupt_line(config_, kNet);
  ASSERT_TRUE(line.ok());
  EXPECT_EQ(*line, 11);
  uint32_t& reg = config_.at(0, 3, 0).regs[kPciInterrupt / 4];
  reg = 0x0000 | 11;  // no interrupt pin
  EXPECT_EQ(interrupt_line(config_, kNet).error(), Error::kNotFound);
  reg = 0x0100 | 0xff;  // firmware routed it nowhere
  EXPECT_EQ(interrupt_line(config_, kNet).error(), Error::kNotFound);
  reg = 0x0100 | 16;  // beyond the 8259s
  EXPECT_EQ(interrupt_line(config_, kNet).error(), Error::kOutOfRange);
}

TEST_F(PciTest, EnablesIoAndBusMasteringKeepingOtherBits) {
  config_.at(0, 3, 0).regs[1] |= kPciCommandInterruptDisable;
  auto command = enable_io_and_bus_master(config_, kNet);
  ASSERT_TRUE(command.ok());
  const uint16_t want = kPciCommandIo | kPciCommandMemory | kPciCommandBusMaster;
  EXPECT_EQ(*command, want);
  const uint32_t reg = config_.at(0, 3, 0).regs[1];
  EXPECT_EQ(reg & 0xffff, want);
  EXPECT_EQ(reg >> 16, 0x2000u);  // the status bit was not cleared by the write
  auto cleared = update_command(config_, kNet, 0, kPciCommandMemory);
  ASSERT_TRUE(cleared.ok());
  EXPECT_EQ(*cleared, kPciCommandIo | kPciCommandBusMaster);
}

}  // namespace
}  // namespace atoll_os::servers::devices
