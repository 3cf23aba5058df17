// LineSplitter: bytes in any chunking become the same lines, bounded in length.
#include "hostlib/line_splitter.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace atoll_os::host {
namespace {

std::vector<std::string> drain(LineSplitter& splitter) {
  std::vector<std::string> lines;
  while (auto line = splitter.take()) lines.push_back(line->text);
  return lines;
}

TEST(LineSplitterTest, CompleteLinesOnlyInOrder) {
  LineSplitter s;
  s.feed("{\"a\":1}\n{\"b\"");
  EXPECT_EQ(s.ready(), 1u);
  EXPECT_EQ(s.partial(), "{\"b\"");
  s.feed(":2}\n\n");
  EXPECT_EQ(drain(s), (std::vector<std::string>{"{\"a\":1}", "{\"b\":2}", ""}));
  EXPECT_FALSE(s.take().has_value());
}

TEST(LineSplitterTest, CrLfAndLfBothEndALineAndNulsAreDropped) {
  LineSplitter s;
  s.feed("one\r\ntw");
  s.feed(std::string("o\0\r", 3));
  s.feed("\nthree\rx\n");
  EXPECT_EQ(drain(s), (std::vector<std::string>{"one", "two", "three\rx"}));
}

TEST(LineSplitterTest, EveryChunkingGivesTheSameLines) {
  const std::string stream = "{\"event\":\"ready\",\"node\":0}\r\n{\"ok\":true}\nx\n";
  for (size_t chunk = 1; chunk <= stream.size(); ++chunk) {
    LineSplitter s;
    for (size_t at = 0; at < stream.size(); at += chunk) s.feed(stream.substr(at, chunk));
    EXPECT_EQ(drain(s),
              (std::vector<std::string>{"{\"event\":\"ready\",\"node\":0}", "{\"ok\":true}", "x"}))
        << "chunk " << chunk;
  }
}

TEST(LineSplitterTest, OverlongLinesAreCutAndMarked) {
  LineSplitter s(8);
  s.feed("0123456789abcdef\r\nshort\n");
  auto first = s.take();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->text, "01234567");
  EXPECT_TRUE(first->overlong);
  auto second = s.take();
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->text, "short");
  EXPECT_FALSE(second->overlong);
  // Exactly the limit is not overlong.
  s.feed("12345678\n");
  EXPECT_FALSE(s.take()->overlong);
  // A partial line never grows past the limit, however much arrives.
  s.feed(std::string(100000, 'x'));
  EXPECT_EQ(s.partial().size(), 8u);
}

}  // namespace
}  // namespace atoll_os::host
