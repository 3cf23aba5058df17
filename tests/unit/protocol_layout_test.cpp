// Tests of the protocol definitions themselves: distinct labels, names, PID and capability
// conventions, and agreement with the runtime's console label.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "atoll/protocols/console.h"
#include "atoll/protocols/mm.h"
#include "atoll/protocols/names.h"
#include "atoll/protocols/pm.h"
#include "atoll/user/console_protocol.h"

namespace atoll_os::protocols {
namespace {

template <typename OpEnum>
void collect(std::set<uint64_t>& labels, std::initializer_list<OpEnum> ops) {
  for (OpEnum op : ops) {
    EXPECT_TRUE(labels.insert(static_cast<uint64_t>(op)).second)
        << "label " << std::hex << static_cast<uint64_t>(op) << " used twice";
  }
}

TEST(ProtocolLayout, EveryLabelIsUniqueAndNoneIsAPageFault) {
  std::set<uint64_t> labels;
  collect(labels, {names::Op::register_name, names::Op::lookup, names::Op::unregister,
                   names::Op::release_owner});
  collect(labels,
          {pm::Op::spawn, pm::Op::wait, pm::Op::kill, pm::Op::list, pm::Op::memory, pm::Op::stats,
           pm::Op::register_console, pm::Op::next_event, pm::Op::adopt, pm::Op::reap});
  collect(labels, {mm::Op::create_space, mm::Op::add_region, mm::Op::destroy_space,
                   mm::Op::space_info, mm::Op::stats});
  collect(labels, {console::Op::write});
  EXPECT_EQ(labels.count(abi::kLabelPageFault), 0u);
  EXPECT_EQ(labels.count(0), 0u);
}

TEST(ProtocolLayout, LabelsCarryTheirProtocol) {
  EXPECT_EQ(static_cast<uint64_t>(pm::Op::spawn), make_label(kProcessProtocol, 1));
  EXPECT_EQ(static_cast<uint64_t>(mm::Op::stats) >> 16, kMemoryProtocol);
  EXPECT_EQ(static_cast<uint64_t>(names::Op::lookup) >> 16, kNamesProtocol);
}

TEST(ProtocolLayout, OperationNamesForLogs) {
  EXPECT_STREQ(pm::operation_name(static_cast<uint64_t>(pm::Op::next_event)), "next_event");
  EXPECT_STREQ(mm::operation_name(static_cast<uint64_t>(mm::Op::add_region)), "add_region");
  EXPECT_EQ(pm::operation_name(static_cast<uint64_t>(mm::Op::add_region)), nullptr);
}

TEST(ProtocolLayout, ConsoleLabelMatchesTheRuntime) {
  EXPECT_EQ(static_cast<uint64_t>(console::Op::write), protocol::kConsoleWrite);
  EXPECT_EQ(console::WriteRequest::kMaximumSize, protocol::kConsoleWriteMax);
}

TEST(ProtocolLayout, HandleLimitsPerOperation) {
  EXPECT_EQ(pm::Operation<pm::Op::spawn>::kRequestHandles, abi::kMessageHandlesMax);
  EXPECT_EQ(names::Operation<names::Op::lookup>::kReplyHandles, 1u);
  EXPECT_EQ(names::Operation<names::Op::lookup>::kRequestHandles, 0u);
  EXPECT_EQ(mm::Operation<mm::Op::create_space>::kRequestHandles, 1u);
}

TEST(ProtocolLayout, PayloadSizes) {
  EXPECT_EQ(payload_size<Empty>(), 0u);
  EXPECT_EQ(payload_size<pm::SpawnRequest>(), abi::kMessagePayloadMax);
  EXPECT_EQ(payload_size<console::WriteRequest>(), abi::kMessagePayloadMax);
  EXPECT_EQ(minimum_payload_size<console::WriteRequest>(), 0u);
  EXPECT_EQ(minimum_payload_size<mm::RegionRequest>(), sizeof(mm::RegionRequest));
  EXPECT_LE(sizeof(ErrorReply), abi::kMessagePayloadMax);
}

TEST(PidConvention, NodeAndSerialRoundTrip) {
  uint64_t pid = pm::make_pid(3, 77);
  EXPECT_EQ(pid, (uint64_t{3} << 48) | 77);
  EXPECT_EQ(pm::pid_node(pid), 3u);
  EXPECT_EQ(pm::pid_serial(pid), 77u);
  EXPECT_EQ(pm::make_pid(0, 5), 5u);
  // No PID of a valid node collides with the system badge.
  EXPECT_EQ(pm::make_pid(pm::kMaxNode, pm::kSerialMask) & kSystemBadge, 0u);
  EXPECT_NE(pm::kReaperBadge & kSystemBadge, 0u);
}

TEST(CapabilityArguments, FoundByName) {
  char a0[] = "ctl";
  char a1[] = "verbose";
  char a2[] = "cap:irq=17";
  char a3[] = "cap:ioports=4294967295";
  char* argv[] = {a0, a1, a2, a3, nullptr};
  EXPECT_EQ(pm::find_capability(4, argv, "irq"), 17u);
  EXPECT_EQ(pm::find_capability(4, argv, "ioports"), 4294967295u);
  EXPECT_EQ(pm::find_capability(4, argv, "io"), kNoHandle);
  EXPECT_EQ(pm::find_capability(4, argv, "endpoint"), kNoHandle);
  // argv[0] is the program, never a capability.
  char b0[] = "cap:irq=3";
  char* only_name[] = {b0, nullptr};
  EXPECT_EQ(pm::find_capability(1, only_name, "irq"), kNoHandle);
}

TEST(CapabilityArguments, MalformedOnesAreIgnored) {
  for (const char* text : {"cap:irq=", "cap:irq", "cap:irq=1x", "cap:irq=4294967296", "irq=3",
                           "cap:irq=-1", "cap:irqq=3", "CAP:irq=3"}) {
    EXPECT_EQ(pm::capability_argument(text, "irq"), kNoHandle) << text;
  }
  EXPECT_EQ(pm::capability_argument("cap:irq=0042", "irq"), 42u);
}

}  // namespace
}  // namespace atoll_os::protocols
