// Validating an ELF64 executable field by field, with every read and sum checked first.
#include "atoll/elf.h"

namespace atoll_os::elf {
namespace {

// Elf64_Ehdr.
constexpr size_t kHeaderSize = 64;
constexpr uint8_t kMagic[4] = {0x7f, 'E', 'L', 'F'};
constexpr size_t kIdentClass = 4;
constexpr size_t kIdentData = 5;
constexpr size_t kIdentVersion = 6;
constexpr size_t kIdentOsAbi = 7;
constexpr uint8_t kClass32 = 1;
constexpr uint8_t kClass64 = 2;
constexpr uint8_t kDataLittleEndian = 1;
constexpr uint8_t kDataBigEndian = 2;
constexpr uint32_t kVersionCurrent = 1;
constexpr uint8_t kOsAbiSystemV = 0;
constexpr uint8_t kOsAbiGnu = 3;  // GNU ld sets it for IFUNC symbols; same system ABI
constexpr uint16_t kTypeExecutable = 2;
constexpr uint16_t kMachineX86_64 = 62;
constexpr uint16_t kExtendedCount = 0xffff;  // PN_XNUM: the real count hides in section 0

// Elf64_Phdr.
constexpr size_t kProgramHeaderSize = 56;
constexpr uint32_t kTypeNull = 0;
constexpr uint32_t kTypeLoad = 1;
constexpr uint32_t kTypeNote = 4;
constexpr uint32_t kTypeProgramHeaders = 6;
constexpr uint32_t kTypeGnuEhFrame = 0x6474e550;
constexpr uint32_t kTypeGnuStack = 0x6474e551;
constexpr uint32_t kTypeGnuRelro = 0x6474e552;
constexpr uint32_t kTypeGnuProperty = 0x6474e553;
constexpr uint32_t kKnownFlags = kSegmentRead | kSegmentWrite | kSegmentExecute;

// The fields the loader needs, already in host order (x86-64 is little endian).
struct Header {
  uint64_t entry;
  uint64_t program_header_offset;
  uint16_t program_header_count;
};

struct ProgramHeader {
  uint32_t type;
  uint32_t flags;
  uint64_t offset;
  uint64_t vaddr;
  uint64_t file_size;
  uint64_t memory_size;
};

// Fields are read by copying: nothing guarantees a field is aligned for a direct load.
// The caller has checked that sizeof(T) bytes at `bytes` lie inside the file.
template <typename T>
T read(const uint8_t* bytes) {
  T value;
  __builtin_memcpy(&value, bytes, sizeof(value));
  return value;
}

// Whether [offset, offset + size) fits in [0, limit), written so that no sum can wrap.
bool range_fits(uint64_t offset, uint64_t size, uint64_t limit) {
  return offset <= limit && size <= limit - offset;
}

uint64_t page_floor(uint64_t address) {
  return address & ~(kPageSize - 1);
}

// Only for addresses at or below a page-aligned Limits::max_vaddr, which leaves room for
// the round-up: the largest page-aligned value is 2^64 - kPageSize.
uint64_t page_ceil(uint64_t address) {
  return page_floor(address + (kPageSize - 1));
}

uint64_t segment_end(const Segment& segment) {
  return segment.vaddr + segment.memory_size;
}

Result<void> check_limits(const Limits& limits) {
  if (limits.min_vaddr % kPageSize != 0 || limits.max_vaddr % kPageSize != 0) {
    return Err(Error::kInvalidArgument);
  }
  if (limits.min_vaddr >= limits.max_vaddr) return Err(Error::kInvalidArgument);
  return success();
}

// e_ident: what kind of ELF file this is, before any multi-byte field can be trusted.
Result<void> check_ident(const uint8_t* ident) {
  if (__builtin_memcmp(ident, kMagic, sizeof(kMagic)) != 0) return Err(Error::kBadFormat);
  uint8_t elf_class = ident[kIdentClass];
  if (elf_class == kClass32) return Err(Error::kNotSupported);
  if (elf_class != kClass64) return Err(Error::kBadFormat);
  uint8_t data = ident[kIdentData];
  if (data == kDataBigEndian) return Err(Error::kNotSupported);
  if (data != kDataLittleEndian) return Err(Error::kBadFormat);
  if (ident[kIdentVersion] != kVersionCurrent) return Err(Error::kBadFormat);
  uint8_t os_abi = ident[kIdentOsAbi];
  if (os_abi != kOsAbiSystemV && os_abi != kOsAbiGnu) return Err(Error::kNotSupported);
  return success();
}

Result<Header> read_header(std::span<const uint8_t> file) {
  if (file.size() < kHeaderSize) return Err(Error::kTruncated);
  const uint8_t* bytes = file.data();
  TRY(check_ident(bytes));
  if (read<uint32_t>(bytes + 20) != kVersionCurrent) return Err(Error::kBadFormat);
  if (read<uint16_t>(bytes + 52) != kHeaderSize) return Err(Error::kBadFormat);
  if (read<uint16_t>(bytes + 54) != kProgramHeaderSize) return Err(Error::kBadFormat);
  if (read<uint16_t>(bytes + 18) != kMachineX86_64) return Err(Error::kNotSupported);
  if (read<uint16_t>(bytes + 16) != kTypeExecutable) return Err(Error::kNotSupported);
  Header header{read<uint64_t>(bytes + 24), read<uint64_t>(bytes + 32), read<uint16_t>(bytes + 56)};
  if (header.program_header_count == kExtendedCount) return Err(Error::kNotSupported);
  return header;
}

// The program header table; e_phnum * 56 cannot overflow, but e_phoff + that can.
Result<std::span<const uint8_t>> program_header_table(std::span<const uint8_t> file,
                                                      const Header& header) {
  uint64_t size = uint64_t{header.program_header_count} * kProgramHeaderSize;
  if (!range_fits(header.program_header_offset, size, file.size())) {
    return Err(Error::kTruncated);
  }
  return file.subspan(header.program_header_offset, size);
}

ProgramHeader read_program_header(const uint8_t* bytes) {
  return {read<uint32_t>(bytes),      read<uint32_t>(bytes + 4),  read<uint64_t>(bytes + 8),
          read<uint64_t>(bytes + 16), read<uint64_t>(bytes + 32), read<uint64_t>(bytes + 40)};
}

// Headers that a static executable may carry and that loading can ignore. Anything else
// (PT_INTERP, PT_DYNAMIC, PT_TLS: no loader here would honour them) is refused, so that a
// program never starts without something it relies on.
bool is_ignorable(uint32_t type) {
  switch (type) {
    case kTypeNull:
    case kTypeNote:
    case kTypeProgramHeaders:
    case kTypeGnuEhFrame:
    case kTypeGnuStack:
    case kTypeGnuRelro:
    case kTypeGnuProperty: return true;
    default: return false;
  }
}

Result<Segment> read_segment(const ProgramHeader& header, uint64_t file_size,
                             const Limits& limits) {
  if (header.file_size > header.memory_size) return Err(Error::kBadFormat);
  if (!range_fits(header.offset, header.file_size, file_size)) return Err(Error::kTruncated);
  // Lets a loader map file pages directly, and is what every linker produces.
  if (header.offset % kPageSize != header.vaddr % kPageSize) return Err(Error::kBadFormat);
  // max_vaddr is page-aligned, so the page-rounded end stays inside it too.
  if (header.vaddr < limits.min_vaddr ||
      !range_fits(header.vaddr, header.memory_size, limits.max_vaddr)) {
    return Err(Error::kOutOfRange);
  }
  return Segment{header.vaddr, header.memory_size, header.offset, header.file_size,
                 header.flags & kKnownFlags};
}

// Segments must come in vaddr order (the ELF spec demands it) and must not share a page,
// which would force two permissions onto one page; linkers leave a gap of address space.
Result<void> add_segment(Image& image, const Segment& segment) {
  if (image.segment_count == kMaxSegments) return Err(Error::kOutOfRange);
  if (image.segment_count > 0) {
    const Segment& previous = image.segments[image.segment_count - 1];
    if (page_floor(segment.vaddr) < page_ceil(segment_end(previous))) {
      return Err(Error::kBadFormat);
    }
  }
  image.segments[image.segment_count++] = segment;
  return success();
}

bool is_executable_code(const Image& image, uint64_t address) {
  for (const Segment& segment : image.segment_list()) {
    if ((segment.flags & kSegmentExecute) == 0) continue;
    if (address >= segment.vaddr && address - segment.vaddr < segment.file_size) return true;
  }
  return false;
}

// Checks over the whole image, once every segment is known to be valid on its own.
Result<void> finish_image(Image& image, const Limits& limits) {
  if (image.segment_count == 0) return Err(Error::kBadFormat);
  image.lowest = page_floor(image.segments[0].vaddr);
  image.highest = page_ceil(segment_end(image.segments[image.segment_count - 1]));
  // Sorted and page-disjoint, so the sum is at most highest - lowest and cannot wrap.
  uint64_t total = 0;
  for (const Segment& segment : image.segment_list()) {
    total += page_ceil(segment_end(segment)) - page_floor(segment.vaddr);
  }
  if (total > limits.max_total_memory) return Err(Error::kOutOfRange);
  if (!is_executable_code(image, image.entry)) return Err(Error::kBadFormat);
  return success();
}

}  // namespace

Result<Image> parse_executable(std::span<const uint8_t> file, const Limits& limits) {
  TRY(check_limits(limits));
  Header header = TRY(read_header(file));
  std::span<const uint8_t> table = TRY(program_header_table(file, header));
  Image image{};
  image.entry = header.entry;
  for (size_t offset = 0; offset < table.size(); offset += kProgramHeaderSize) {
    ProgramHeader program_header = read_program_header(table.data() + offset);
    if (program_header.type != kTypeLoad) {
      if (!is_ignorable(program_header.type)) return Err(Error::kNotSupported);
      continue;
    }
    // An empty PT_LOAD maps nothing, so there is nothing about it to check.
    if (program_header.memory_size == 0 && program_header.file_size == 0) continue;
    Segment segment = TRY(read_segment(program_header, file.size(), limits));
    TRY(add_segment(image, segment));
  }
  TRY(finish_image(image, limits));
  return image;
}

}  // namespace atoll_os::elf
