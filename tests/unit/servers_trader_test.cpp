// The trader's logic: the constraint language (parsing, evaluation, refusal of malformed
// queries with the column), the offer's wire format, the view's staleness and expiry, and
// the CPU feature sets homogeneity is judged by.
#include <gtest/gtest.h>

#include <string>

#include "ctl/command.h"
#include "ctl/trader_replies.h"
#include "migm/cpu_features.h"
#include "trader/offer.h"
#include "trader/query.h"
#include "trader/view.h"

namespace atoll_os::servers::trader {
namespace {

constexpr uint64_t kMs = 1'000'000;
constexpr protocols::pm::CpuFeatures kQemu64{1u << 0, (1u << 25) | (1u << 26), 0, 0};
constexpr protocols::pm::CpuFeatures kMax{(1u << 0) | (1u << 28), (1u << 25) | (1u << 26),
                                          (1u << 5) | (1u << 3), 0};  // + avx, avx2, bmi1

Offer offer(uint32_t node, uint32_t load_milli, uint64_t free_mib = 100,
            protocols::pm::CpuFeatures features = kMax) {
  return Offer{node, 7, 1, kIsaX86_64, 1, features, 512 * 256, free_mib * 256, load_milli, 9};
}

bool matches(const char* text, const Offer& o, uint64_t age_ms = 0) {
  QueryError error{};
  Result<Query> q = Query::parse(text, &error);
  EXPECT_TRUE(q.ok()) << text << ": " << error.message;
  return q.ok() && q->matches({&o, age_ms});
}

std::string refusal(const char* text, size_t* column = nullptr) {
  QueryError error{};
  Result<Query> q = Query::parse(text, &error);
  EXPECT_FALSE(q.ok()) << text << " was accepted";
  if (column != nullptr) *column = error.column;
  return error.message;
}

TEST(TraderQuery, EvaluatesComparisonsOnEveryAttribute) {
  Offer o = offer(3, 250);
  EXPECT_TRUE(matches("isa == x86_64 and has(avx2) and load < 0.5", o));
  EXPECT_FALSE(matches("load < 0.25", o));
  EXPECT_TRUE(matches("load <= 0.25", o));
  EXPECT_TRUE(matches("load >= 0.25 and load > 0.249", o));
  EXPECT_TRUE(matches("node == 3 and node != 2", o));
  EXPECT_TRUE(matches("mem_total == 512 and mem_free >= 100 and mem_free < 101", o));
  EXPECT_TRUE(matches("processes == 9 and abi == 1", o));
  EXPECT_FALSE(matches("isa == aarch64", o));
  EXPECT_TRUE(matches("isa != riscv64", o));
  EXPECT_TRUE(matches("age < 2", o, 1500));
  EXPECT_FALSE(matches("age < 1", o, 1500));
}

TEST(TraderQuery, HonoursPrecedenceNotAndParentheses) {
  Offer o = offer(1, 900);
  // and binds tighter than or: true or (false and false).
  EXPECT_TRUE(matches("node == 1 or node == 2 and load < 0.1", o));
  EXPECT_FALSE(matches("(node == 1 or node == 2) and load < 0.1", o));
  EXPECT_TRUE(matches("not load < 0.5", o));
  EXPECT_FALSE(matches("not not load < 0.5", o));
  EXPECT_TRUE(matches("", o));
  EXPECT_TRUE(matches("true", o));
  EXPECT_TRUE(matches("prefer max mem_free", o));
}

TEST(TraderQuery, HasChecksTheNamedFeature) {
  EXPECT_TRUE(matches("has(avx2) and has(sse2)", offer(0, 0, 100, kMax)));
  EXPECT_FALSE(matches("has(avx2)", offer(0, 0, 100, kQemu64)));
  EXPECT_TRUE(matches("not has(avx)", offer(0, 0, 100, kQemu64)));
}

TEST(TraderQuery, RefusesMalformedQueriesNamingTheColumn) {
  size_t column = 0;
  EXPECT_EQ(refusal("load <", &column),
            "column 7: expected a number (at most 3 decimals) after the comparison");
  EXPECT_EQ(column, 7u);
  EXPECT_EQ(refusal("lod < 1", &column), "column 1: unknown attribute 'lod'");
  EXPECT_EQ(refusal("load < 1 and", &column),
            "column 13: the query ends where a condition is expected");
  EXPECT_EQ(refusal("has(avx3)", &column), "column 5: unknown CPU feature 'avx3'");
  EXPECT_EQ(column, 5u);
  EXPECT_EQ(refusal("(load < 1", &column), "column 10: expected ')' to close the '(' at column 1");
  EXPECT_EQ(refusal("load = 1"), "column 6: expected a comparison (== != < <= > >=) after 'load'");
  EXPECT_EQ(refusal("load < 0.1234"),
            "column 8: expected a number (at most 3 decimals) after the comparison");
  EXPECT_EQ(refusal("load < 1.2.3"),
            "column 8: expected a number (at most 3 decimals) after the comparison");
  EXPECT_EQ(refusal("isa < x86_64"), "column 7: isa can only be compared with == or !=");
  EXPECT_EQ(refusal("isa == sparc"),
            "column 8: unknown instruction set 'sparc' (x86_64, aarch64, riscv64)");
  EXPECT_EQ(refusal("load < 1 node == 2"),
            "column 10: unexpected 'node': expected and, or, prefer or the end");
  EXPECT_EQ(refusal("load < 1 & node == 2"),
            "column 10: unexpected '&': expected and, or, prefer or the end");
  EXPECT_EQ(refusal("prefer least load"), "column 8: expected min or max after prefer");
  EXPECT_EQ(refusal("prefer min isa"), "column 12: cannot prefer by isa");
  EXPECT_EQ(refusal("prefer min load prefer max load"),
            "column 17: only one preference is allowed");
}

TEST(TraderQuery, BoundsLengthNestingAndSteps) {
  std::string deep(12, '(');
  deep += "true" + std::string(12, ')');
  EXPECT_EQ(refusal(deep.c_str()), "column 10: nested more than 8 levels deep");
  std::string many = "true";
  for (int i = 0; i < 20; ++i) many += " and true";
  EXPECT_NE(refusal(many.c_str()).find("more than 32 steps"), std::string::npos);
  std::string long_text(300, ' ');
  EXPECT_EQ(refusal(long_text.c_str()), "the query is longer than 255 characters");
  std::string fine(8, '(');
  fine += "true" + std::string(8, ')');
  EXPECT_TRUE(matches(fine.c_str(), offer(0, 0)));
}

TEST(TraderQuery, PrefersByTheAttributeThenTheLowerNode) {
  Offer a = offer(1, 300, 50), b = offer(2, 100, 80), c = offer(3, 100, 90);
  Result<Query> min_load = Query::parse("prefer min load", nullptr);
  ASSERT_TRUE(min_load.ok());
  EXPECT_TRUE(min_load->prefers({&b, 0}, {&a, 0}));
  EXPECT_TRUE(min_load->prefers({&b, 0}, {&c, 0}));  // a tie: the lower node
  Result<Query> max_free = Query::parse("load < 1 prefer max mem_free", nullptr);
  ASSERT_TRUE(max_free.ok());
  EXPECT_TRUE(max_free->prefers({&c, 0}, {&b, 0}));
  EXPECT_FALSE(max_free->prefers({&a, 0}, {&b, 0}));
}

TEST(TraderOffer, RoundTripsAndRefusesGarbage) {
  Offer o = offer(5, 1234, 77, kQemu64);
  uint8_t wire[kOfferWireSize];
  ASSERT_TRUE(encode_offer(o, wire).ok());
  Result<Offer> back = decode_offer(wire);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->node, 5u);
  EXPECT_EQ(back->load_milli, 1234u);
  EXPECT_EQ(back->mem_free_pages, 77u * 256);
  EXPECT_EQ(back->features.leaf1_ecx, kQemu64.leaf1_ecx);
  const char* reason = nullptr;
  EXPECT_EQ(decode_offer(std::span<const uint8_t>(wire, 10), &reason).error(), Error::kTruncated);
  uint8_t longer[kOfferWireSize + 1] = {};
  __builtin_memcpy(longer, wire, sizeof(wire));
  EXPECT_EQ(decode_offer(longer, &reason).error(), Error::kBadFormat);
  wire[4] = 9;  // version
  EXPECT_EQ(decode_offer(wire, &reason).error(), Error::kBadFormat);
  EXPECT_STREQ(reason, "unknown offer version");
  wire[4] = 1;
  wire[56] = 0xff, wire[57] = 0xff, wire[58] = 0xff;  // more free than total
  EXPECT_EQ(decode_offer(wire, &reason).error(), Error::kBadFormat);
  EXPECT_STREQ(reason, "more memory free than there is");
  Offer bad = o;
  bad.node = kNodeLimit;
  EXPECT_EQ(encode_offer(bad, wire).error(), Error::kInvalidArgument);
  EXPECT_EQ(encode_offer(o, std::span<uint8_t>(wire, 8)).error(), Error::kOutOfRange);
}

TEST(TraderView, KeepsTheNewestOfferAndItsAge) {
  View view;
  EXPECT_TRUE(view.update(offer(2, 100), 1000 * kMs));
  Offer newer = offer(2, 700);
  newer.sequence = 2;
  EXPECT_TRUE(view.update(newer, 2000 * kMs));
  Offer stale = offer(2, 50);  // sequence 1 again: an old offer arriving late
  EXPECT_FALSE(view.update(stale, 2100 * kMs));
  ASSERT_NE(view.find(2), nullptr);
  EXPECT_EQ(view.find(2)->load_milli, 700u);
  EXPECT_EQ(view.age_ms(2, 3500 * kMs), 1500u);
  Offer rebooted = offer(2, 10);  // a new incarnation starts its sequence again
  rebooted.incarnation = 8;
  EXPECT_TRUE(view.update(rebooted, 3600 * kMs));
  EXPECT_EQ(view.find(2)->load_milli, 10u);
}

TEST(TraderView, ForgetsNodesSilentForTooLong) {
  View view;
  ASSERT_TRUE(view.update(offer(0, 0), 0));
  ASSERT_TRUE(view.update(offer(1, 0), 3000 * kMs));
  EXPECT_EQ(view.expire(kForgetAfterNs), 0u);  // exactly at the limit: kept
  EXPECT_EQ(view.expire(kForgetAfterNs + kMs), 1u);
  EXPECT_EQ(view.find(0), nullptr);
  EXPECT_NE(view.find(1), nullptr);
  EXPECT_EQ(view.size(), 1u);
  EXPECT_EQ(view.expire(3000 * kMs + kForgetAfterNs + kMs), 1u);
  EXPECT_EQ(view.size(), 0u);
}

TEST(TraderView, IsBoundedAndCountsWhatItRefuses) {
  View view;
  for (uint32_t n = 0; n < kViewMax; ++n) ASSERT_TRUE(view.update(offer(n, 0), 0));
  EXPECT_FALSE(view.update(offer(kViewMax, 0), 0));
  EXPECT_EQ(view.refused(), 1u);
  EXPECT_TRUE(view.forget(3));
  EXPECT_TRUE(view.update(offer(kViewMax, 0), 0));
}

TEST(TraderView, SelectsTheBestHomogeneousNodeAndListsInNodeOrder) {
  View view;
  ASSERT_TRUE(view.update(offer(3, 50, 100, kQemu64), 0));  // least loaded, lacks avx2
  ASSERT_TRUE(view.update(offer(0, 900, 100, kMax), 0));    // the asking node
  ASSERT_TRUE(view.update(offer(2, 400, 100, kMax), 0));
  ASSERT_TRUE(view.update(offer(1, 600, 100, kMax), 0));
  Result<Query> q = Query::parse("isa == x86_64 prefer min load", nullptr);
  ASSERT_TRUE(q.ok());
  Selection any = view.select(*q, {nullptr, -1}, 0);
  ASSERT_NE(any.best, nullptr);
  EXPECT_EQ(any.best->node, 3u);
  Selection homogeneous = view.select(*q, {&kMax, 0}, 0);
  ASSERT_NE(homogeneous.best, nullptr);
  EXPECT_EQ(homogeneous.best->node, 2u);
  EXPECT_EQ(homogeneous.considered, 2u);
  Result<Query> none = Query::parse("load < 0.1", nullptr);
  ASSERT_TRUE(none.ok());
  Selection empty = view.select(*none, {&kMax, 0}, 0);
  EXPECT_EQ(empty.best, nullptr);
  EXPECT_EQ(empty.matched, 0u);
  std::string order;
  view.for_each(0, [&](const Offer& o, uint64_t) { order += std::to_string(o.node); });
  EXPECT_EQ(order, "0123");
}

TEST(TraderFeatures, NamesLooksUpAndFindsWhatIsMissing) {
  protocols::pm::CpuFeatures avx2{};
  ASSERT_TRUE(migm::feature_named("avx2", avx2));
  EXPECT_EQ(avx2.leaf7_ebx, 1u << 5);
  EXPECT_EQ(avx2.leaf1_ecx | avx2.leaf1_edx | avx2.leaf7_ecx, 0u);
  EXPECT_FALSE(migm::feature_named("avx3", avx2));
  char names[128];
  EXPECT_EQ(migm::feature_names(kMax, names, sizeof(names)), 6u);
  EXPECT_STREQ(names, "sse,sse2,pni,avx,bmi1,avx2");
  char missing[64];
  EXPECT_EQ(migm::missing_features(kMax, kQemu64, missing, sizeof(missing)), 3u);
  EXPECT_STREQ(missing, "avx,bmi1,avx2");
  EXPECT_EQ(migm::missing_features(kQemu64, kMax, missing, sizeof(missing)), 0u);
}

TEST(TraderCtl, ParsesTraderCommandsAndMigrateAny) {
  ctl::CommandError error{};
  Result<ctl::Command> view = ctl::parse_command("trader view", &error);
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->kind, ctl::CommandKind::kTrader);
  EXPECT_EQ(view->trader_action, ctl::TraderAction::kView);
  Result<ctl::Command> query =
      ctl::parse_command("trader query  isa == x86_64 and  load < 0.5 prefer min load ", &error);
  ASSERT_TRUE(query.ok());
  EXPECT_EQ(query->trader_action, ctl::TraderAction::kQuery);
  EXPECT_EQ(query->text, "isa == x86_64 and  load < 0.5 prefer min load");
  Result<ctl::Command> empty = ctl::parse_command("trader query", &error);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->text, "");
  EXPECT_FALSE(ctl::parse_command("trader", &error).ok());
  EXPECT_FALSE(ctl::parse_command("trader view all", &error).ok());
  EXPECT_STREQ(error.reason, "usage: trader query [CONSTRAINT] | trader view");
  std::string long_query = "trader query " + std::string(300, 'x');
  EXPECT_FALSE(ctl::parse_command(long_query, &error).ok());
  EXPECT_STREQ(error.reason, "the query is longer than 255 characters");
  Result<ctl::Command> any = ctl::parse_command("migrate 0x4 any", &error);
  ASSERT_TRUE(any.ok());
  EXPECT_EQ(any->node, ctl::kAnyNode);
  EXPECT_FALSE(ctl::parse_command("migrate 0x4 anywhere", &error).ok());
  EXPECT_STREQ(error.reason, "NODE must be a node number");
}

TEST(TraderCtl, RendersTheViewAsJson) {
  protocols::trader::NodeOffer nodes[2] = {
      {0, kIsaX86_64, 1, 1250, kQemu64, 256 * 256, 100 * 256, 12, 0, 40},
      {1, kIsaX86_64, 1, 5, kMax, 256 * 256, 200 * 256, 9, 0, 900},
  };
  char buffer[2048];
  ctl::JsonWriter json(buffer, sizeof(buffer));
  ctl::render_trader_view(json, 0, nodes, 2);
  EXPECT_EQ(std::string(json.text()),
            R"({"ok":true,"cmd":"trader","self":0,"nodes":[)"
            R"({"node":0,"isa":"x86_64","abi":1,"load":"1.250","mem_total_mib":256,)"
            R"("mem_free_mib":100,"processes":12,"age_ms":40,"features":"sse,sse2,pni"},)"
            R"({"node":1,"isa":"x86_64","abi":1,"load":"0.005","mem_total_mib":256,)"
            R"("mem_free_mib":200,"processes":9,"age_ms":900,)"
            R"("features":"sse,sse2,pni,avx,bmi1,avx2"}]})");
}

}  // namespace
}  // namespace atoll_os::servers::trader
