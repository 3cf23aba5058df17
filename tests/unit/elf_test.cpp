// Tests for the ELF executable parser: hand-built images, real linker output, and garbage.
#include "atoll/elf.h"

#include <gtest/gtest.h>
#include <string.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <memory>
#include <ostream>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace atoll_os {

// Lets failed expectations name the error instead of dumping its bytes. Internal linkage,
// so another test file may define its own.
[[maybe_unused]] static void PrintTo(Error error, std::ostream* out) {
  *out << error_name(error);
}

namespace elf {
namespace {

constexpr uint32_t kLoad = 1;
constexpr uint32_t kDynamic = 2;
constexpr uint32_t kInterp = 3;
constexpr uint32_t kNote = 4;
constexpr uint32_t kShlib = 5;
constexpr uint32_t kPhdr = 6;
constexpr uint32_t kTls = 7;
constexpr uint32_t kGnuEhFrame = 0x6474e550;
constexpr uint32_t kGnuStack = 0x6474e551;
constexpr uint32_t kGnuRelro = 0x6474e552;
constexpr uint32_t kGnuProperty = 0x6474e553;

constexpr uint32_t kR = kSegmentRead;
constexpr uint32_t kW = kSegmentWrite;
constexpr uint32_t kX = kSegmentExecute;

// Byte offsets of Elf64_Ehdr and Elf64_Phdr fields, for corrupting one at a time.
constexpr size_t kClassField = 4;
constexpr size_t kDataField = 5;
constexpr size_t kIdentVersionField = 6;
constexpr size_t kOsAbiField = 7;
constexpr size_t kTypeField = 16;
constexpr size_t kMachineField = 18;
constexpr size_t kVersionField = 20;
constexpr size_t kEntryField = 24;
constexpr size_t kPhoffField = 32;
constexpr size_t kEhsizeField = 52;
constexpr size_t kPhentsizeField = 54;
constexpr size_t kPhnumField = 56;
constexpr size_t kHeaderSize = 64;
constexpr size_t kPhSize = 56;

constexpr uint64_t kMax = ~uint64_t{0};
constexpr Limits kLimits{0x10000, 0x0000'8000'0000'0000, 64 << 20};

struct ProgramHeaderSpec {
  uint32_t type;
  uint32_t flags;
  uint64_t offset;
  uint64_t vaddr;
  uint64_t file_size;
  uint64_t memory_size;
};

struct ElfSpec {
  uint64_t entry;
  std::vector<ProgramHeaderSpec> headers;
};

// A typical static program: headers and read-only data, code, then data with bss. The file
// ends with the data segment's last byte, so every shorter file is missing a needed byte.
ElfSpec valid_spec() {
  return {0x401010,
          {{kLoad, kR, 0, 0x400000, 0x200, 0x200},
           {kLoad, kR | kX, 0x1000, 0x401000, 0x234, 0x234},
           {kLoad, kR | kW, 0x2010, 0x403010, 0x20, 0x3000},
           {kGnuStack, kR | kW, 0, 0, 0, 0}}};
}
constexpr size_t kValidSize = 0x2030;

template <typename T>
void poke(std::vector<uint8_t>& bytes, size_t offset, T value) {
  memcpy(bytes.data() + offset, &value, sizeof(value));
}

size_t ph_field(size_t index, size_t field) {
  return kHeaderSize + index * kPhSize + field;
}

// Lays out the ELF header, the program headers right after it, and filler bytes (not zero,
// so that nothing passes by reading zeros) up to the end of the last file range.
std::vector<uint8_t> build(const ElfSpec& spec) {
  size_t size = kHeaderSize + spec.headers.size() * kPhSize;
  for (const ProgramHeaderSpec& header : spec.headers) {
    if (header.type == kLoad) size = std::max<size_t>(size, header.offset + header.file_size);
  }
  std::vector<uint8_t> bytes(size, 0xcc);
  const uint8_t ident[16] = {0x7f, 'E', 'L', 'F', 2, 1, 1, 0};
  memcpy(bytes.data(), ident, sizeof(ident));
  poke<uint16_t>(bytes, kTypeField, 2);
  poke<uint16_t>(bytes, kMachineField, 62);
  poke<uint32_t>(bytes, kVersionField, 1);
  poke<uint64_t>(bytes, kEntryField, spec.entry);
  poke<uint64_t>(bytes, kPhoffField, kHeaderSize);
  poke<uint64_t>(bytes, 40, 0);  // e_shoff
  poke<uint32_t>(bytes, 48, 0);  // e_flags
  poke<uint16_t>(bytes, kEhsizeField, kHeaderSize);
  poke<uint16_t>(bytes, kPhentsizeField, kPhSize);
  poke<uint16_t>(bytes, kPhnumField, static_cast<uint16_t>(spec.headers.size()));
  poke<uint16_t>(bytes, 58, 64);  // e_shentsize
  poke<uint32_t>(bytes, 60, 0);   // e_shnum, e_shstrndx
  for (size_t i = 0; i < spec.headers.size(); ++i) {
    const ProgramHeaderSpec& header = spec.headers[i];
    poke<uint32_t>(bytes, ph_field(i, 0), header.type);
    poke<uint32_t>(bytes, ph_field(i, 4), header.flags);
    poke<uint64_t>(bytes, ph_field(i, 8), header.offset);
    poke<uint64_t>(bytes, ph_field(i, 16), header.vaddr);
    poke<uint64_t>(bytes, ph_field(i, 24), header.vaddr);  // p_paddr
    poke<uint64_t>(bytes, ph_field(i, 32), header.file_size);
    poke<uint64_t>(bytes, ph_field(i, 40), header.memory_size);
    poke<uint64_t>(bytes, ph_field(i, 48), 0x1000);
  }
  return bytes;
}

// Parses `length` bytes of `bytes` from an exactly-sized heap copy, so that ASan reports
// any read past the end; the Image holds no pointers into the copy.
Result<Image> parse(const std::vector<uint8_t>& bytes, const Limits& limits = kLimits,
                    size_t length = SIZE_MAX) {
  length = std::min(length, bytes.size());
  std::unique_ptr<uint8_t[]> copy(new uint8_t[length]);
  if (length > 0) memcpy(copy.get(), bytes.data(), length);
  return parse_executable({copy.get(), length}, limits);
}

Error parse_error(const std::vector<uint8_t>& bytes, const Limits& limits = kLimits) {
  return parse(bytes, limits).error();
}

Error spec_error(const ElfSpec& spec, const Limits& limits = kLimits) {
  return parse_error(build(spec), limits);
}

std::vector<uint8_t> read_whole_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string test_binary_path() {
  char path[4096];
  ssize_t length = readlink("/proc/self/exe", path, sizeof(path) - 1);
  return length > 0 ? std::string(path, static_cast<size_t>(length)) : std::string();
}

// --- Valid images -----------------------------------------------------------------------

TEST(Elf, ParsesMultiSegmentImage) {
  std::vector<uint8_t> bytes = build(valid_spec());
  ASSERT_EQ(bytes.size(), kValidSize);
  Result<Image> image = parse(bytes);
  ASSERT_TRUE(image.ok()) << error_name(image.error());
  EXPECT_EQ(image->entry, 0x401010u);
  ASSERT_EQ(image->segment_count, 3u);
  const Segment& text = image->segments[1];
  EXPECT_EQ(text.vaddr, 0x401000u);
  EXPECT_EQ(text.memory_size, 0x234u);
  EXPECT_EQ(text.file_offset, 0x1000u);
  EXPECT_EQ(text.file_size, 0x234u);
  EXPECT_EQ(text.flags, kR | kX);
  EXPECT_EQ(image->segments[0].flags, kR);
  const Segment& data = image->segments[2];
  EXPECT_EQ(data.flags, kR | kW);
  EXPECT_EQ(data.vaddr, 0x403010u);
  EXPECT_EQ(data.file_offset, 0x2010u);
  EXPECT_EQ(data.file_size, 0x20u);
  EXPECT_EQ(data.memory_size, 0x3000u);  // the rest is bss
  EXPECT_EQ(image->lowest, 0x400000u);
  EXPECT_EQ(image->highest, 0x407000u);  // 0x406010 rounded up
  EXPECT_EQ(image->segment_list().size(), 3u);
}

TEST(Elf, IgnoresMetadataHeadersAndEmptyLoads) {
  ElfSpec spec = valid_spec();
  for (uint32_t type : {0u, kNote, kPhdr, kGnuEhFrame, kGnuRelro, kGnuProperty}) {
    spec.headers.push_back({type, kR, 0x40, 0x400040, 0x10, 0x10});
  }
  spec.headers.push_back({kLoad, kR, 0, 0, 0, 0});  // empty: maps nothing
  Result<Image> image = parse(build(spec));
  ASSERT_TRUE(image.ok()) << error_name(image.error());
  EXPECT_EQ(image->segment_count, 3u);
  EXPECT_EQ(image->segments[2].vaddr, 0x403010u);
}

TEST(Elf, KeepsOnlyPermissionFlags) {
  ElfSpec spec = valid_spec();
  spec.headers[1].flags = kR | kX | 0x0ff00000 | 0xf0000000;  // PF_MASKOS | PF_MASKPROC
  Result<Image> image = parse(build(spec));
  ASSERT_TRUE(image.ok()) << error_name(image.error());
  EXPECT_EQ(image->segments[1].flags, kR | kX);
}

TEST(Elf, AcceptsGnuOsAbi) {
  std::vector<uint8_t> bytes = build(valid_spec());
  bytes[kOsAbiField] = 3;  // what GNU ld writes when a program uses IFUNC
  EXPECT_EQ(parse_error(bytes), Error::kOk);
}

TEST(Elf, AcceptsSegmentsOnConsecutivePages) {
  ElfSpec spec = valid_spec();
  spec.headers[2].vaddr = 0x402010;  // the page right after the one where code ends
  EXPECT_EQ(spec_error(spec), Error::kOk);
}

TEST(Elf, RoundsTheSpanOutToPages) {
  ElfSpec spec = valid_spec();
  spec.headers[0] = {kLoad, kR, 0x120, 0x400120, 0xe0, 0xe0};  // starts mid-page
  Result<Image> image = parse(build(spec));
  ASSERT_TRUE(image.ok()) << error_name(image.error());
  EXPECT_EQ(image->segments[0].vaddr, 0x400120u);
  EXPECT_EQ(image->lowest, 0x400000u);
  EXPECT_EQ(image->highest, 0x407000u);
}

TEST(Elf, AcceptsAnImageThatExactlyFillsItsLimits) {
  // Pages 0x400000..0x407000 hold 1 + 1 + 4 pages.
  Limits exact{0x400000, 0x407000, 6 * kPageSize};
  EXPECT_EQ(spec_error(valid_spec(), exact), Error::kOk);
}

// The program headers of a real program (GNU ld 2.40, linked with the flags of
// cmake/freestanding.cmake plus -z relro, stripped). Its data segment starts at 0x403ff0:
// in the same file page as read-only data, but on the next virtual page, which is how
// GNU ld keeps segments apart.
constexpr size_t kRealFileSize = 12976;
const uint8_t kRealHeaders[] = {
    // clang-format off
    0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x02, 0x00, 0x3e, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x10, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x70, 0x30, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x40, 0x00, 0x38, 0x00, 0x06, 0x00, 0x40, 0x00, 0x09, 0x00, 0x08, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x90, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x90, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00,
    0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x10, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x23, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x23, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x20, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xcc, 0x0f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xcc, 0x0f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x06, 0x00, 0x00, 0x00,
    0xf0, 0x2f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf0, 0x3f, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xf0, 0x3f, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x50, 0x4e, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x51, 0xe5, 0x74, 0x64, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x52, 0xe5, 0x74, 0x64, 0x04, 0x00, 0x00, 0x00,
    0xf0, 0x2f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf0, 0x3f, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xf0, 0x3f, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    // clang-format on
};

TEST(Elf, ParsesGnuLdStaticExecutableLayout) {
  std::vector<uint8_t> bytes(std::begin(kRealHeaders), std::end(kRealHeaders));
  bytes.resize(kRealFileSize, 0);  // section contents do not matter to the parser
  Result<Image> image = parse(bytes);
  ASSERT_TRUE(image.ok()) << error_name(image.error());
  EXPECT_EQ(image->entry, 0x401000u);
  ASSERT_EQ(image->segment_count, 4u);
  EXPECT_EQ(image->segments[0].flags, kR);
  EXPECT_EQ(image->segments[1].flags, kR | kX);
  EXPECT_EQ(image->segments[2].flags, kR);
  EXPECT_EQ(image->segments[3].flags, kR | kW);
  EXPECT_EQ(image->segments[3].vaddr, 0x403ff0u);
  EXPECT_EQ(image->segments[3].file_offset, 0x2ff0u);
  EXPECT_EQ(image->lowest, 0x400000u);
  EXPECT_EQ(image->highest, 0x409000u);  // 0x403ff0 + 0x4e50 = 0x408e40, rounded up
}

// The kernel is a static ET_EXEC too, with a low boot segment and the rest in the top
// 2 GiB. It is built next to this test by the default build.
TEST(Elf, ParsesTheKernelImage) {
  std::string test_path = test_binary_path();
  std::string build_dir = test_path.substr(0, test_path.rfind("/tests/unit/"));
  std::vector<uint8_t> kernel = read_whole_file(build_dir + "/kernel/atoll.elf");
  if (kernel.empty()) GTEST_SKIP() << "kernel not built under " << build_dir;
  Limits anywhere{0x1000, kMax - kPageSize + 1, uint64_t{1} << 30};
  Result<Image> image = parse(kernel, anywhere);
  ASSERT_TRUE(image.ok()) << error_name(image.error());
  EXPECT_GE(image->segment_count, 2u);
  EXPECT_GE(image->highest, 0xffff'ffff'8000'0000u);
}

// This test program is a dynamically linked (and usually PIE) executable.
TEST(Elf, RejectsTheDynamicallyLinkedTestBinary) {
  std::vector<uint8_t> self = read_whole_file(test_binary_path());
  ASSERT_GT(self.size(), kHeaderSize);
  Limits anywhere{0, kMax - kPageSize + 1, kMax};
  EXPECT_EQ(parse_error(self, anywhere), Error::kNotSupported);
}

// --- Limits -----------------------------------------------------------------------------

TEST(ElfLimits, RejectsUnalignedOrEmptyLimits) {
  std::vector<uint8_t> bytes = build(valid_spec());
  EXPECT_EQ(parse_error(bytes, {0x10001, 0x800000, kMax}), Error::kInvalidArgument);
  EXPECT_EQ(parse_error(bytes, {0x10000, 0x800001, kMax}), Error::kInvalidArgument);
  EXPECT_EQ(parse_error(bytes, {0x800000, 0x800000, kMax}), Error::kInvalidArgument);
  EXPECT_EQ(parse_error(bytes, {0x900000, 0x800000, kMax}), Error::kInvalidArgument);
  EXPECT_EQ(parse_error(bytes, {0x10000, 0x800000, kMax}), Error::kOk);
}

// --- Truncation -------------------------------------------------------------------------

TEST(ElfMalformed, TruncatedAtEveryLength) {
  std::vector<uint8_t> bytes = build(valid_spec());
  ASSERT_EQ(bytes.size(), kValidSize);
  for (size_t length = 0; length < bytes.size(); ++length) {
    ASSERT_EQ(parse(bytes, kLimits, length).error(), Error::kTruncated) << "length " << length;
  }
  EXPECT_EQ(parse(bytes, kLimits, bytes.size()).error(), Error::kOk);
}

// --- The ELF header ---------------------------------------------------------------------

TEST(ElfMalformed, BadMagic) {
  for (size_t i = 0; i < 4; ++i) {
    std::vector<uint8_t> bytes = build(valid_spec());
    bytes[i] ^= 0x20;
    EXPECT_EQ(parse_error(bytes), Error::kBadFormat) << "byte " << i;
  }
}

TEST(ElfMalformed, ClassOtherThan64Bit) {
  std::vector<uint8_t> bytes = build(valid_spec());
  bytes[kClassField] = 1;  // ELFCLASS32
  EXPECT_EQ(parse_error(bytes), Error::kNotSupported);
  for (uint8_t value : {0, 3, 0xff}) {
    bytes[kClassField] = value;
    EXPECT_EQ(parse_error(bytes), Error::kBadFormat) << int{value};
  }
}

TEST(ElfMalformed, EndiannessOtherThanLittle) {
  std::vector<uint8_t> bytes = build(valid_spec());
  bytes[kDataField] = 2;  // ELFDATA2MSB
  EXPECT_EQ(parse_error(bytes), Error::kNotSupported);
  for (uint8_t value : {0, 3}) {
    bytes[kDataField] = value;
    EXPECT_EQ(parse_error(bytes), Error::kBadFormat) << int{value};
  }
}

TEST(ElfMalformed, WrongVersion) {
  std::vector<uint8_t> bytes = build(valid_spec());
  bytes[kIdentVersionField] = 0;
  EXPECT_EQ(parse_error(bytes), Error::kBadFormat);
  bytes = build(valid_spec());
  poke<uint32_t>(bytes, kVersionField, 2);
  EXPECT_EQ(parse_error(bytes), Error::kBadFormat);
}

TEST(ElfMalformed, ForeignOsAbi) {
  std::vector<uint8_t> bytes = build(valid_spec());
  bytes[kOsAbiField] = 9;  // FreeBSD: its system calls, not ours
  EXPECT_EQ(parse_error(bytes), Error::kNotSupported);
}

TEST(ElfMalformed, WrongMachine) {
  for (uint16_t machine : {0, 3, 183}) {  // none, i386, AArch64
    std::vector<uint8_t> bytes = build(valid_spec());
    poke<uint16_t>(bytes, kMachineField, machine);
    EXPECT_EQ(parse_error(bytes), Error::kNotSupported) << machine;
  }
}

TEST(ElfMalformed, NotAStaticExecutable) {
  for (uint16_t type : {0, 1, 3, 4, 0xfe00}) {  // none, relocatable, PIE/shared, core, OS
    std::vector<uint8_t> bytes = build(valid_spec());
    poke<uint16_t>(bytes, kTypeField, type);
    EXPECT_EQ(parse_error(bytes), Error::kNotSupported) << type;
  }
}

TEST(ElfMalformed, WrongHeaderSize) {
  std::vector<uint8_t> bytes = build(valid_spec());
  poke<uint16_t>(bytes, kEhsizeField, 52);  // an Elf32_Ehdr
  EXPECT_EQ(parse_error(bytes), Error::kBadFormat);
}

TEST(ElfMalformed, WrongProgramHeaderEntrySize) {
  for (uint16_t size : {0, 32, 55, 57, 64}) {
    std::vector<uint8_t> bytes = build(valid_spec());
    poke<uint16_t>(bytes, kPhentsizeField, size);
    EXPECT_EQ(parse_error(bytes), Error::kBadFormat) << size;
  }
}

// --- The program header table -----------------------------------------------------------

TEST(ElfMalformed, ProgramHeaderTablePastEnd) {
  std::vector<uint8_t> bytes = build(valid_spec());
  size_t table_size = valid_spec().headers.size() * kPhSize;
  for (uint64_t offset : {uint64_t{kValidSize}, uint64_t{kValidSize + 1},
                          uint64_t{kValidSize - table_size + 1}, kMax - 7, kMax}) {
    poke<uint64_t>(bytes, kPhoffField, offset);
    EXPECT_EQ(parse_error(bytes), Error::kTruncated) << offset;
  }
  poke<uint64_t>(bytes, kPhoffField, kValidSize - table_size);  // just fits: reads filler
  EXPECT_NE(parse_error(bytes), Error::kTruncated);
}

TEST(ElfMalformed, ProgramHeaderTableEndOverflows) {
  std::vector<uint8_t> bytes = build(valid_spec());
  // offset + 4 * 56 wraps to 176, which a naive `offset + size <= file size` accepts.
  poke<uint64_t>(bytes, kPhoffField, kMax - 47);
  EXPECT_EQ(parse_error(bytes), Error::kTruncated);
}

TEST(ElfMalformed, ProgramHeaderCountBeyondFile) {
  std::vector<uint8_t> bytes = build(valid_spec());
  poke<uint16_t>(bytes, kPhnumField, 0xfffe);  // 0xfffe * 56 bytes of table
  EXPECT_EQ(parse_error(bytes), Error::kTruncated);
  poke<uint16_t>(bytes, kPhnumField, 0xffff);  // PN_XNUM: count in section header 0
  EXPECT_EQ(parse_error(bytes), Error::kNotSupported);
}

// --- Each PT_LOAD -----------------------------------------------------------------------

TEST(ElfMalformed, FileSizeAboveMemorySize) {
  ElfSpec spec = valid_spec();
  spec.headers[2].memory_size = spec.headers[2].file_size - 1;
  EXPECT_EQ(spec_error(spec), Error::kBadFormat);
  spec.headers[2].memory_size = 0;  // not empty: it has file bytes
  EXPECT_EQ(spec_error(spec), Error::kBadFormat);
}

TEST(ElfMalformed, FileRangePastEnd) {
  std::vector<uint8_t> bytes = build(valid_spec());
  poke<uint64_t>(bytes, ph_field(2, 32), 0x21);  // one byte more than the file holds
  EXPECT_EQ(parse_error(bytes), Error::kTruncated);
  bytes = build(valid_spec());
  poke<uint64_t>(bytes, ph_field(2, 8), 0x3010);  // offset past the end, size 0x20
  poke<uint64_t>(bytes, ph_field(2, 16), 0x403010);
  EXPECT_EQ(parse_error(bytes), Error::kTruncated);
}

TEST(ElfMalformed, FileOffsetPlusSizeOverflows) {
  ElfSpec spec = valid_spec();
  std::vector<uint8_t> bytes = build(spec);
  // Offset keeps vaddr's page offset; offset + size wraps to 0x10.
  poke<uint64_t>(bytes, ph_field(2, 8), kMax - 0xfff + 0x10);
  poke<uint64_t>(bytes, ph_field(2, 32), 0x1000);
  EXPECT_EQ(parse_error(bytes), Error::kTruncated);
}

TEST(ElfMalformed, VaddrPlusMemorySizeWraps) {
  Limits whole{0x10000, kMax - kPageSize + 1, kMax};
  ElfSpec spec = valid_spec();
  spec.headers[2].vaddr = kMax - 0xfff + 0x10;  // the last page
  spec.headers[2].memory_size = 0x3000;         // end wraps to 0x2010
  EXPECT_EQ(spec_error(spec, whole), Error::kOutOfRange);
  spec.headers[2].memory_size = kMax;
  EXPECT_EQ(spec_error(spec, whole), Error::kOutOfRange);
  spec.headers[2].vaddr = 0x403010;
  spec.headers[2].memory_size = kMax - 0x403010 + 2;  // end wraps to 1
  EXPECT_EQ(spec_error(spec, whole), Error::kOutOfRange);
}

TEST(ElfMalformed, VaddrOutsideLimits) {
  Limits starts_late{0x401000, 0x0000'8000'0000'0000, kMax};  // the first segment is below
  EXPECT_EQ(spec_error(valid_spec(), starts_late), Error::kOutOfRange);
  Limits ends_early{0x400000, 0x406000, kMax};  // data ends at 0x406010
  EXPECT_EQ(spec_error(valid_spec(), ends_early), Error::kOutOfRange);
  // The end page counts: ending at 0x406010 needs max_vaddr 0x407000.
  Limits exact{0x400000, 0x407000, kMax};
  EXPECT_EQ(spec_error(valid_spec(), exact), Error::kOk);
  ElfSpec spec = valid_spec();
  spec.headers[2].vaddr = 0x0000'8000'0000'0010;  // non-canonical for user space
  spec.headers[2].memory_size = 0x20;
  EXPECT_EQ(spec_error(spec), Error::kOutOfRange);
}

TEST(ElfMalformed, OffsetAndVaddrOnDifferentPageOffsets) {
  ElfSpec spec = valid_spec();
  spec.headers[2].vaddr = 0x403018;
  EXPECT_EQ(spec_error(spec), Error::kBadFormat);
  spec = valid_spec();
  spec.headers[1].vaddr = 0x401800;  // file offset 0x1000
  spec.entry = 0x401810;
  EXPECT_EQ(spec_error(spec), Error::kBadFormat);
}

// --- Segments together ------------------------------------------------------------------

TEST(ElfMalformed, OverlappingSegments) {
  ElfSpec spec = valid_spec();
  spec.headers[2].vaddr = 0x401010;  // over the code
  EXPECT_EQ(spec_error(spec), Error::kBadFormat);
  spec.headers[2].vaddr = 0x401240;  // after the code's last byte, but in its page
  spec.headers[2].offset = 0x2240;
  EXPECT_EQ(spec_error(spec), Error::kBadFormat);
  spec = valid_spec();
  spec.headers[2] = spec.headers[1];  // the same segment twice
  EXPECT_EQ(spec_error(spec), Error::kBadFormat);
}

TEST(ElfMalformed, UnsortedSegments) {
  ElfSpec spec = valid_spec();
  std::swap(spec.headers[1], spec.headers[2]);
  EXPECT_EQ(spec_error(spec), Error::kBadFormat);
}

TEST(ElfMalformed, HugeMemorySize) {
  ElfSpec spec = valid_spec();
  spec.headers[2].memory_size = uint64_t{1} << 40;  // inside the limits, far above the budget
  EXPECT_EQ(spec_error(spec), Error::kOutOfRange);
}

TEST(ElfMalformed, TotalMemoryOneByteOverBudget) {
  // 6 pages in all; a budget one byte short must fail, so the total is not underestimated.
  EXPECT_EQ(spec_error(valid_spec(), {0x10000, 0x800000, 6 * kPageSize - 1}), Error::kOutOfRange);
  EXPECT_EQ(spec_error(valid_spec(), {0x10000, 0x800000, 6 * kPageSize}), Error::kOk);
}

TEST(ElfMalformed, EntryOutsideExecutableCode) {
  // Read-only data, data, bss, one past the code, before everything, and far away.
  for (uint64_t entry : {uint64_t{0x400010}, uint64_t{0x403010}, uint64_t{0x405000},
                         uint64_t{0x401234}, uint64_t{0}, kMax}) {
    ElfSpec spec = valid_spec();
    spec.entry = entry;
    EXPECT_EQ(spec_error(spec), Error::kBadFormat) << std::hex << entry;
  }
  ElfSpec spec = valid_spec();
  spec.entry = 0x401233;  // the code's last byte
  EXPECT_EQ(spec_error(spec), Error::kOk);
}

TEST(ElfMalformed, EntryInZeroFilledPartOfCode) {
  ElfSpec spec = valid_spec();
  spec.headers[1].memory_size = 0x800;  // code segment with a zero-filled tail
  spec.entry = 0x401400;
  EXPECT_EQ(spec_error(spec), Error::kBadFormat);
}

TEST(ElfMalformed, NoLoadSegments) {
  ElfSpec spec = valid_spec();
  spec.headers = {{kGnuStack, kR | kW, 0, 0, 0, 0}, {kLoad, kR, 0, 0, 0, 0}};
  EXPECT_EQ(spec_error(spec), Error::kBadFormat);
  spec.headers.clear();
  EXPECT_EQ(spec_error(spec), Error::kBadFormat);
}

ElfSpec one_page_segments(size_t count) {
  ElfSpec spec{0x401000, {}};
  for (size_t i = 0; i < count; ++i) {
    spec.headers.push_back({kLoad, kR | kX, 0x1000 * (i + 1), 0x401000 + 0x1000 * i, 1, 1});
  }
  return spec;
}

TEST(ElfMalformed, TooManySegments) {
  EXPECT_EQ(spec_error(one_page_segments(kMaxSegments)), Error::kOk);
  EXPECT_EQ(spec_error(one_page_segments(kMaxSegments + 1)), Error::kOutOfRange);
}

TEST(ElfMalformed, HeadersThatNeedADynamicLoaderOrTls) {
  for (uint32_t type : {kInterp, kDynamic, kShlib, kTls, 0x60000000u, 0x70000000u, 8u}) {
    ElfSpec spec = valid_spec();
    spec.headers.insert(spec.headers.begin(), {type, kR, 0x100, 0x400100, 0x1c, 0x1c});
    EXPECT_EQ(spec_error(spec), Error::kNotSupported) << std::hex << type;
  }
}

// --- Garbage ----------------------------------------------------------------------------

// Whatever the parser accepts must satisfy the header's invariants.
void expect_invariants(const Image& image, size_t file_size) {
  ASSERT_GE(image.segment_count, 1u);
  ASSERT_LE(image.segment_count, kMaxSegments);
  bool entry_found = false;
  uint64_t previous_end = 0;
  for (const Segment& segment : image.segment_list()) {
    EXPECT_LE(segment.file_size, segment.memory_size);
    EXPECT_LE(segment.file_offset, file_size);
    EXPECT_LE(segment.file_size, file_size - segment.file_offset);
    EXPECT_EQ(segment.file_offset % kPageSize, segment.vaddr % kPageSize);
    EXPECT_GE(segment.vaddr, kLimits.min_vaddr);
    EXPECT_LE(segment.memory_size, kLimits.max_vaddr - segment.vaddr);
    EXPECT_GE(segment.vaddr / kPageSize * kPageSize, previous_end);
    previous_end = (segment.vaddr + segment.memory_size + kPageSize - 1) / kPageSize * kPageSize;
    EXPECT_EQ(segment.flags & ~(kR | kW | kX), 0u);
    if ((segment.flags & kX) != 0 && image.entry >= segment.vaddr &&
        image.entry - segment.vaddr < segment.file_size) {
      entry_found = true;
    }
  }
  EXPECT_TRUE(entry_found);
  EXPECT_EQ(image.lowest, image.segments[0].vaddr / kPageSize * kPageSize);
  EXPECT_EQ(image.highest, previous_end);
}

TEST(ElfMalformed, RandomCorruptionOfHeaders) {
  std::vector<uint8_t> valid = build(valid_spec());
  size_t headers_end = kHeaderSize + valid_spec().headers.size() * kPhSize;
  std::mt19937 random(12345);
  size_t accepted = 0;
  for (int round = 0; round < 20000; ++round) {
    std::vector<uint8_t> bytes = valid;
    int flips = 1 + static_cast<int>(random() % 4);
    for (int i = 0; i < flips; ++i) {
      bytes[random() % headers_end] ^= static_cast<uint8_t>(1u << (random() % 8));
    }
    Result<Image> image = parse(bytes);
    if (!image.ok()) continue;
    ++accepted;
    expect_invariants(*image, bytes.size());
    if (HasFailure()) FAIL() << "round " << round;
  }
  EXPECT_GT(accepted, 0u);  // some flips (flags, paddr, align) are harmless
}

}  // namespace
}  // namespace elf
}  // namespace atoll_os
