// Tests of ctl's balancer commands: parsing `balancer status|on|off|set KEY=VALUE...`, the
// change applied to the parameters, and the status as JSON.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "balancer/policy.h"
#include "ctl/balancer_command.h"
#include "ctl/command.h"
#include "ctl/json_writer.h"

namespace atoll_os::servers::ctl {
namespace {

using protocols::balancer::BalancerParams;
using protocols::balancer::BalancerStatus;

Command parsed(const char* line) {
  CommandError error{};
  Result<Command> command = parse_command(line, &error);
  EXPECT_TRUE(command.ok()) << line << ": " << (error.reason ? error.reason : "");
  return command.ok() ? *command : Command{};
}

std::string refusal(const char* line) {
  CommandError error{};
  Result<Command> command = parse_command(line, &error);
  EXPECT_FALSE(command.ok()) << line;
  if (command.ok()) return "";
  EXPECT_EQ(command.error(), Error::kBadFormat);
  EXPECT_STREQ(error.error, "bad_command");
  return error.reason;
}

TEST(BalancerCommand, Actions) {
  EXPECT_EQ(parsed("balancer status").balancer_action, BalancerAction::kStatus);
  EXPECT_EQ(parsed("balancer on").balancer_action, BalancerAction::kOn);
  EXPECT_EQ(parsed("balancer  off ").balancer_action, BalancerAction::kOff);
  EXPECT_EQ(parsed("balancer on").kind, CommandKind::kBalancer);
  EXPECT_STREQ(command_name(CommandKind::kBalancer), "balancer");
}

TEST(BalancerCommand, SetParsesEveryKey) {
  Command c = parsed(
      "balancer set threshold=1.5 margin=0.25 interval=500 cooldown=2000 settle=0 max_moves=3 "
      "strategy=precopy");
  ASSERT_EQ(c.balancer_action, BalancerAction::kSet);
  const BalancerChange& change = c.balancer_change;
  EXPECT_EQ(change.fields, 0x7fu);
  EXPECT_EQ(change.values.threshold_milli, 1500u);
  EXPECT_EQ(change.values.margin_milli, 250u);
  EXPECT_EQ(change.values.interval_ms, 500u);
  EXPECT_EQ(change.values.cooldown_ms, 2000u);
  EXPECT_EQ(change.values.settle_ms, 0u);
  EXPECT_EQ(change.values.max_moves, 3u);
  EXPECT_EQ(change.values.strategy, uint32_t(protocols::migm::Strategy::kPrecopy));
  EXPECT_EQ(parsed("balancer set threshold=2").balancer_change.values.threshold_milli, 2000u);
  EXPECT_EQ(parsed("balancer set threshold=0.125").balancer_change.values.threshold_milli, 125u);
}

TEST(BalancerCommand, SetChangesOnlyTheNamedFields) {
  Command c = parsed("balancer set margin=1 strategy=auto");
  BalancerParams before = balancer::kDefaultParams;
  before.strategy = uint32_t(protocols::migm::Strategy::kEager);
  BalancerParams after = apply_change(c.balancer_change, before);
  EXPECT_EQ(after.margin_milli, 1000u);
  EXPECT_EQ(after.strategy, uint32_t(protocols::migm::Strategy::kAuto));
  EXPECT_EQ(after.threshold_milli, before.threshold_milli);
  EXPECT_EQ(after.interval_ms, before.interval_ms);
  EXPECT_EQ(after.cooldown_ms, before.cooldown_ms);
  EXPECT_EQ(after.settle_ms, before.settle_ms);
  EXPECT_EQ(after.max_moves, before.max_moves);
  EXPECT_EQ(after.enabled, before.enabled);
}

TEST(BalancerCommand, MalformedIsRefusedWithTheField) {
  EXPECT_EQ(refusal("balancer set threshold=abc"),
            "threshold: expected a load such as 1.5 (at most 3 decimals)");
  EXPECT_EQ(refusal("balancer set threshold=1.2345").substr(0, 10), "threshold:");
  EXPECT_EQ(refusal("balancer set threshold=1.").substr(0, 10), "threshold:");
  EXPECT_EQ(refusal("balancer set threshold=.5").substr(0, 10), "threshold:");
  EXPECT_EQ(refusal("balancer set margin=-1").substr(0, 7), "margin:");
  EXPECT_EQ(refusal("balancer set interval=1e3"), "interval: expected milliseconds");
  EXPECT_EQ(refusal("balancer set cooldown=99999999999"), "cooldown: expected milliseconds");
  EXPECT_EQ(refusal("balancer set settle="), "settle: expected milliseconds");
  EXPECT_EQ(refusal("balancer set max_moves=x"), "max_moves: expected a number");
  EXPECT_EQ(refusal("balancer set strategy=fast").substr(0, 9), "strategy:");
  EXPECT_EQ(refusal("balancer set speed=3").substr(0, 11), "unknown key");
  EXPECT_EQ(refusal("balancer set threshold"), "expected KEY=VALUE");
  EXPECT_EQ(refusal("balancer set margin=1 margin=2"), "a key is given twice");
  EXPECT_EQ(refusal("balancer set"), kBalancerUsage);
  EXPECT_EQ(refusal("balancer"), kBalancerUsage);
  EXPECT_EQ(refusal("balancer start"), kBalancerUsage);
  EXPECT_EQ(refusal("balancer on now"), kBalancerUsage);
  EXPECT_EQ(refusal("balancer set interval=1 interval=2"), "a key is given twice");
}

TEST(BalancerCommand, RangesAreTheBalancersToCheck) {
  // Parsing accepts a well-formed value out of range; check_params then names the field.
  Command c = parsed("balancer set max_moves=0");
  BalancerParams p = apply_change(c.balancer_change, balancer::kDefaultParams);
  EXPECT_STREQ(balancer::check_params(p), "max_moves out of 1..8");
}

TEST(BalancerCommand, StatusAsJson) {
  BalancerStatus s{};
  s.params = balancer::kDefaultParams;
  s.params.enabled = 1;
  s.decisions = 12;
  s.migrations = 3;
  s.failures = 1;
  s.load_milli = 2250;
  std::strcpy(s.last, "load 8.000 > 1.500: 3 to nodes 1,2,3");
  char buffer[1024];
  JsonWriter json(buffer, sizeof(buffer));
  render_balancer(json, 2, s);
  EXPECT_EQ(std::string(json.text()),
            "{\"ok\":true,\"cmd\":\"balancer\",\"node\":2,\"enabled\":true,\"threshold\":\"1.500\","
            "\"margin\":\"0.500\",\"interval_ms\":1000,\"cooldown_ms\":3000,\"settle_ms\":10000,"
            "\"max_moves\":6,\"strategy\":\"auto\",\"decisions\":12,\"migrations\":3,"
            "\"failures\":1,\"load\":\"2.250\",\"last\":\"load 8.000 > 1.500: 3 to nodes 1,2,3\"}");
}

}  // namespace
}  // namespace atoll_os::servers::ctl
