// Tests for the multiboot2 decoder: hand-built boot information, valid and malformed.
#include "boot/multiboot2.h"

#include <gtest/gtest.h>
#include <string.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

namespace atoll_os::kernel {
namespace {

struct MemoryMapEntry {
  uint64_t base;
  uint64_t length;
  uint32_t type;
};

// Builds boot information the way GRUB lays it out.
class InfoBuilder {
 public:
  InfoBuilder() { bytes_.resize(8); }

  InfoBuilder& tag(uint32_t type, const std::vector<uint8_t>& payload) {
    put32(type);
    put32(static_cast<uint32_t>(8 + payload.size()));
    bytes_.insert(bytes_.end(), payload.begin(), payload.end());
    bytes_.resize((bytes_.size() + 7) / 8 * 8);
    return *this;
  }
  InfoBuilder& string_tag(uint32_t type, const std::string& text) {
    std::vector<uint8_t> payload(text.begin(), text.end());
    payload.push_back(0);
    return tag(type, payload);
  }
  InfoBuilder& module(uint32_t start, uint32_t end, const std::string& name) {
    std::vector<uint8_t> payload;
    append(payload, start);
    append(payload, end);
    payload.insert(payload.end(), name.begin(), name.end());
    payload.push_back(0);
    return tag(3, payload);
  }
  InfoBuilder& memory_map(const std::vector<MemoryMapEntry>& entries, uint32_t entry_size = 24) {
    std::vector<uint8_t> payload;
    append(payload, entry_size);
    append(payload, uint32_t{0});
    for (const MemoryMapEntry& entry : entries) {
      size_t start = payload.size();
      append(payload, entry.base);
      append(payload, entry.length);
      append(payload, entry.type);
      payload.resize(start + entry_size, 0);
    }
    return tag(6, payload);
  }
  InfoBuilder& end() { return tag(0, {}); }

  // The bytes with total_size filled in (or overridden).
  std::vector<uint8_t> build(int64_t total_size = -1) const {
    std::vector<uint8_t> out = bytes_;
    uint32_t total =
        total_size < 0 ? static_cast<uint32_t>(out.size()) : static_cast<uint32_t>(total_size);
    memcpy(out.data(), &total, 4);
    return out;
  }

 private:
  template <typename T>
  static void append(std::vector<uint8_t>& out, T value) {
    const auto* raw = reinterpret_cast<const uint8_t*>(&value);
    out.insert(out.end(), raw, raw + sizeof(value));
  }
  void put32(uint32_t value) { append(bytes_, value); }

  std::vector<uint8_t> bytes_;
};

// Parses from an exactly sized heap copy, so that ASan reports any read past `available`.
struct Parsed {
  std::unique_ptr<uint8_t[]> buffer;
  Result<BootInfo> result;
};

Parsed parse(const std::vector<uint8_t>& bytes, size_t available) {
  std::unique_ptr<uint8_t[]> copy(new uint8_t[available == 0 ? 1 : available]);
  memcpy(copy.get(), bytes.data(), std::min(available, bytes.size()));
  Result<BootInfo> result = parse_multiboot2(copy.get(), available);
  return {std::move(copy), std::move(result)};
}

Parsed parse(const std::vector<uint8_t>& bytes) {
  return parse(bytes, bytes.size());
}

Error parse_error(const std::vector<uint8_t>& bytes) {
  return parse(bytes).result.error();
}

InfoBuilder typical() {
  InfoBuilder builder;
  builder.string_tag(1, "console=serial selftest")
      .string_tag(2, "GRUB 2.06")
      .tag(21, {1, 2, 3, 4, 5})  // load base address: not used by the kernel
      .module(0x200000, 0x201234, "kernel.sym")
      .module(0x300000, 0x300000, "empty thing")
      .memory_map({{0, 0x9fc00, 1},
                   {0x9fc00, 0x400, 2},
                   {0xf0000, 0x10000, 2},
                   {0x100000, 0x7ee0000, 1},
                   {0xfffc0000, 0x40000, 2},
                   {0x7fe0000, 0x20000, 3}})
      .end();
  return builder;
}

TEST(Multiboot2, DecodesATypicalInfo) {
  Parsed parsed = parse(typical().build());
  ASSERT_TRUE(parsed.result.ok()) << error_name(parsed.result.error());
  const BootInfo& info = *parsed.result;
  EXPECT_EQ(info.command_line, "console=serial selftest");
  EXPECT_EQ(info.bootloader_name, "GRUB 2.06");
  ASSERT_EQ(info.module_count, 2u);
  EXPECT_EQ(info.modules[0].start, 0x200000u);
  EXPECT_EQ(info.modules[0].end, 0x201234u);
  EXPECT_EQ(info.modules[0].name, "kernel.sym");
  EXPECT_EQ(info.modules[1].name, "empty thing");
  ASSERT_EQ(info.usable_count, 2u);
  EXPECT_EQ(info.usable[0].base, 0u);
  EXPECT_EQ(info.usable[0].length, 0x9fc00u);
  EXPECT_EQ(info.usable[1].base, 0x100000u);
  EXPECT_EQ(info.usable[1].length, 0x7ee0000u);
  ASSERT_EQ(info.reserved_count, 4u);
  EXPECT_EQ(info.reserved[3].base, 0x7fe0000u);
  EXPECT_EQ(info.usable_bytes(), 0x9fc00u + 0x7ee0000u);
  EXPECT_EQ(info.usable_ranges().size(), 2u);
  EXPECT_EQ(info.reserved_ranges().size(), 4u);
  EXPECT_EQ(info.module_list().size(), 2u);
  // Strings point into the buffer.
  const uint8_t* begin = parsed.buffer.get();
  const auto* name = reinterpret_cast<const uint8_t*>(info.bootloader_name.data());
  EXPECT_TRUE(name > begin && name < begin + typical().build().size());
}

TEST(Multiboot2, FindsModulesByExactName) {
  Parsed parsed = parse(typical().build());
  ASSERT_TRUE(parsed.result.ok());
  Result<BootModule> symbols = parsed.result->module("kernel.sym");
  ASSERT_TRUE(symbols.ok());
  EXPECT_EQ(symbols->start, 0x200000u);
  EXPECT_EQ(parsed.result->module("kernel").error(), Error::kNotFound);
  EXPECT_EQ(parsed.result->module("empty").error(), Error::kNotFound);
  EXPECT_TRUE(parsed.result->module("empty thing").ok());
}

TEST(Multiboot2, OnlyAnEndTagGivesAnEmptyInfo) {
  Parsed parsed = parse(InfoBuilder().end().build());
  ASSERT_TRUE(parsed.result.ok());
  EXPECT_TRUE(parsed.result->command_line.empty());
  EXPECT_EQ(parsed.result->usable_count, 0u);
  EXPECT_EQ(parsed.result->module_count, 0u);
  EXPECT_EQ(parsed.result->usable_bytes(), 0u);
}

TEST(Multiboot2, LargerMemoryMapEntriesAreStepped) {
  std::vector<uint8_t> bytes =
      InfoBuilder().memory_map({{0x1000, 0x2000, 1}, {0x5000, 0x1000, 1}}, 40).end().build();
  Parsed parsed = parse(bytes);
  ASSERT_TRUE(parsed.result.ok());
  ASSERT_EQ(parsed.result->usable_count, 2u);
  EXPECT_EQ(parsed.result->usable[1].base, 0x5000u);
}

TEST(Multiboot2, TagsAfterTheEndTagAreIgnored) {
  std::vector<uint8_t> bytes = InfoBuilder().end().string_tag(1, "ignored").build();
  Parsed parsed = parse(bytes);
  ASSERT_TRUE(parsed.result.ok());
  EXPECT_TRUE(parsed.result->command_line.empty());
}

TEST(Multiboot2, TooFewBytesIsTruncated) {
  std::vector<uint8_t> bytes = InfoBuilder().end().build();
  EXPECT_EQ(parse(bytes, 0).result.error(), Error::kTruncated);
  EXPECT_EQ(parse(bytes, 7).result.error(), Error::kTruncated);
  EXPECT_EQ(parse(bytes, 15).result.error(), Error::kTruncated);  // total_size says 16
  EXPECT_EQ(parse_multiboot2(nullptr, 64).error(), Error::kTruncated);
}

TEST(Multiboot2, EveryShorterAvailableIsTruncated) {
  std::vector<uint8_t> bytes = typical().build();
  for (size_t available = 0; available < bytes.size(); ++available) {
    EXPECT_EQ(parse(bytes, available).result.error(), Error::kTruncated) << available;
  }
}

// With total_size claiming less than the real length, the end tag is never inside it.
TEST(Multiboot2, EveryShorterTotalSizeFails) {
  std::vector<uint8_t> full = typical().build();
  for (size_t total = 0; total < full.size(); ++total) {
    Parsed parsed = parse(typical().build(static_cast<int64_t>(total)));
    EXPECT_FALSE(parsed.result.ok()) << total;
  }
}

TEST(Multiboot2, TagRunningPastTotalSizeIsTruncated) {
  InfoBuilder builder;
  builder.string_tag(1, "abc").end();
  std::vector<uint8_t> bytes = builder.build();
  uint32_t huge = 0x1000;
  memcpy(&bytes[12], &huge, 4);  // the command-line tag's size
  EXPECT_EQ(parse_error(bytes), Error::kTruncated);
  // A partial tag header at the end.
  std::vector<uint8_t> partial = InfoBuilder().string_tag(1, "x").build(24 + 4);
  partial.resize(24 + 4);
  EXPECT_EQ(parse_error(partial), Error::kTruncated);
}

TEST(Multiboot2, MissingEndTagIsBadFormat) {
  EXPECT_EQ(parse_error(InfoBuilder().string_tag(1, "abc").build()), Error::kBadFormat);
  EXPECT_EQ(parse_error(InfoBuilder().build()), Error::kBadFormat);
}

TEST(Multiboot2, TotalSizeBelowHeaderIsBadFormat) {
  std::vector<uint8_t> bytes = InfoBuilder().end().build(4);
  EXPECT_EQ(parse_error(bytes), Error::kBadFormat);
}

TEST(Multiboot2, UndersizedTagIsBadFormat) {
  std::vector<uint8_t> bytes = InfoBuilder().string_tag(1, "abc").end().build();
  uint32_t tiny = 4;
  memcpy(&bytes[12], &tiny, 4);
  EXPECT_EQ(parse_error(bytes), Error::kBadFormat);
}

TEST(Multiboot2, MisalignedInfoIsBadFormat) {
  std::vector<uint8_t> bytes = InfoBuilder().end().build();
  std::unique_ptr<uint8_t[]> buffer(new uint8_t[bytes.size() + 4]);
  memcpy(buffer.get() + 4, bytes.data(), bytes.size());
  EXPECT_EQ(parse_multiboot2(buffer.get() + 4, bytes.size()).error(), Error::kBadFormat);
}

TEST(Multiboot2, StringsWithoutNulAreBadFormat) {
  EXPECT_EQ(parse_error(InfoBuilder().tag(1, {'a', 'b', 'c'}).end().build()), Error::kBadFormat);
  EXPECT_EQ(parse_error(InfoBuilder().tag(2, {'g'}).end().build()), Error::kBadFormat);
  EXPECT_EQ(parse_error(InfoBuilder().tag(1, {}).end().build()), Error::kBadFormat);
  std::vector<uint8_t> module = {0, 0, 0x20, 0, 0, 0, 0x30, 0, 'n', 'a', 'm', 'e'};
  EXPECT_EQ(parse_error(InfoBuilder().tag(3, module).end().build()), Error::kBadFormat);
  EXPECT_TRUE(parse(InfoBuilder().tag(1, {0}).end().build()).result.ok());  // empty string
}

TEST(Multiboot2, ModuleErrors) {
  EXPECT_EQ(parse_error(InfoBuilder().module(0x5000, 0x4fff, "backwards").end().build()),
            Error::kBadFormat);
  // No room for the two addresses, or exactly the addresses and no name.
  EXPECT_EQ(parse_error(InfoBuilder().tag(3, {0, 0, 0, 0}).end().build()), Error::kBadFormat);
  EXPECT_EQ(parse_error(InfoBuilder().tag(3, {0, 0, 0, 0, 0, 0, 0, 0}).end().build()),
            Error::kBadFormat);
}

TEST(Multiboot2, MemoryMapErrors) {
  EXPECT_EQ(parse_error(InfoBuilder().memory_map({{0, 0x1000, 1}}, 16).end().build()),
            Error::kBadFormat);
  EXPECT_EQ(parse_error(InfoBuilder().memory_map({{0, 0x1000, 1}}, 23).end().build()),
            Error::kBadFormat);
  EXPECT_EQ(parse_error(InfoBuilder().tag(6, {24, 0, 0, 0}).end().build()), Error::kBadFormat);
  // A cut-off last entry: 8 header bytes and 30 bytes of 24-byte entries.
  std::vector<uint8_t> cut(8 + 30, 0);
  cut[0] = 24;
  EXPECT_EQ(parse_error(InfoBuilder().tag(6, cut).end().build()), Error::kTruncated);
  // No entries at all is fine.
  EXPECT_TRUE(parse(InfoBuilder().memory_map({}).end().build()).result.ok());
}

TEST(Multiboot2, RangeAndModuleLimits) {
  std::vector<MemoryMapEntry> entries;
  for (size_t i = 0; i < BootInfo::kMaxRanges; ++i) entries.push_back({i * 0x10000, 0x1000, 1});
  Parsed full = parse(InfoBuilder().memory_map(entries).memory_map({{0, 1, 2}}).end().build());
  ASSERT_TRUE(full.result.ok());
  EXPECT_EQ(full.result->usable_count, BootInfo::kMaxRanges);
  EXPECT_EQ(full.result->reserved_count, 1u);
  entries.push_back({0x900000, 0x1000, 1});
  EXPECT_EQ(parse_error(InfoBuilder().memory_map(entries).end().build()), Error::kOutOfRange);
  for (MemoryMapEntry& entry : entries) entry.type = 2;
  EXPECT_EQ(parse_error(InfoBuilder().memory_map(entries).end().build()), Error::kOutOfRange);

  InfoBuilder modules;
  for (size_t i = 0; i < BootInfo::kMaxModules; ++i) modules.module(0, 1, "m" + std::to_string(i));
  std::vector<uint8_t> at_limit = InfoBuilder(modules).end().build();
  Parsed parsed = parse(at_limit);
  ASSERT_TRUE(parsed.result.ok());
  EXPECT_EQ(parsed.result->module_count, BootInfo::kMaxModules);
  EXPECT_EQ(parsed.result->modules[31].name, "m31");
  modules.module(0, 1, "one too many");
  EXPECT_EQ(parse_error(modules.end().build()), Error::kOutOfRange);
}

// Random corruption never makes the decoder read outside the buffer (ASan watches), and
// anything it accepts points inside the buffer.
TEST(Multiboot2, CorruptedInfoStaysInBounds) {
  std::vector<uint8_t> original = typical().build();
  std::mt19937 random(7);
  int accepted = 0;
  for (int round = 0; round < 3000; ++round) {
    std::vector<uint8_t> bytes = original;
    for (int flips = 1 + random() % 4; flips > 0; --flips) {
      bytes[random() % bytes.size()] = static_cast<uint8_t>(random());
    }
    Parsed parsed = parse(bytes);
    if (!parsed.result.ok()) continue;
    ++accepted;
    const char* begin = reinterpret_cast<const char*>(parsed.buffer.get());
    const char* end = begin + bytes.size();
    for (std::string_view text : {parsed.result->command_line, parsed.result->bootloader_name}) {
      if (!text.empty()) {
        EXPECT_TRUE(text.data() >= begin && text.data() + text.size() < end);
      }
    }
    for (const BootModule& module : parsed.result->module_list()) {
      EXPECT_LE(module.start, module.end);
      EXPECT_TRUE(module.name.data() >= begin && module.name.data() + module.name.size() < end);
    }
  }
  EXPECT_GT(accepted, 0);
}

}  // namespace
}  // namespace atoll_os::kernel
