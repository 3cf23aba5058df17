// Bounds-checked parsing of static ELF64 x86-64 executables, shared by the kernel and pm.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <span>

#include "atoll/result.h"

namespace atoll_os::elf {

inline constexpr uint64_t kPageSize = 4096;
inline constexpr size_t kMaxSegments = 16;

// Segment permissions, with the values of ELF's PF_X, PF_W and PF_R so they pass through.
inline constexpr uint32_t kSegmentExecute = 1;
inline constexpr uint32_t kSegmentWrite = 2;
inline constexpr uint32_t kSegmentRead = 4;

/// One PT_LOAD segment: file[file_offset, file_offset + file_size) is copied to vaddr and
/// the rest of [vaddr, vaddr + memory_size) is zero. Invariants after parsing: the file
/// range lies inside the file, file_size <= memory_size, file_offset and vaddr are equal
/// modulo kPageSize, and the page-rounded memory range lies inside Limits.
struct Segment {
  uint64_t vaddr;
  uint64_t memory_size;
  uint64_t file_offset;
  uint64_t file_size;
  uint32_t flags;  // kSegment* bits; other p_flags bits are dropped
};

/// Where a process may place its image.
struct Limits {
  uint64_t min_vaddr;         // page-aligned, inclusive
  uint64_t max_vaddr;         // page-aligned, exclusive, above min_vaddr
  uint64_t max_total_memory;  // bound on the sum of the segments' page-rounded sizes
};

/// A validated executable. Segments are sorted by vaddr and no two touch the same page.
struct Image {
  uint64_t entry;  // inside the file-backed part of an executable segment
  Segment segments[kMaxSegments];
  size_t segment_count;
  uint64_t lowest;   // first segment's vaddr rounded down to a page
  uint64_t highest;  // last segment's end rounded up to a page (exclusive)

  std::span<const Segment> segment_list() const { return {segments, segment_count}; }
};

/// Validates `file` as a static x86-64 ELF64 executable that fits `limits`; nothing outside
/// `file` is read. Empty PT_LOADs (both sizes 0) are skipped; PT_NULL, PT_NOTE, PT_PHDR,
/// PT_GNU_EH_FRAME, PT_GNU_STACK, PT_GNU_RELRO and PT_GNU_PROPERTY are ignored; section
/// headers are not read. Errors:
/// - kInvalidArgument: `limits` has an unaligned bound or min_vaddr >= max_vaddr.
/// - kTruncated: the ELF header, the program header table or a PT_LOAD's file range
///   reaches past the end of `file` (including offset + size overflowing).
/// - kBadFormat: wrong magic, unknown class, data encoding or ELF version, e_ehsize or
///   e_phentsize not 64 / 56, a PT_LOAD with file_size > memory_size or with offset and
///   vaddr different modulo kPageSize, PT_LOADs out of vaddr order or sharing a page, no
///   PT_LOAD, or an entry point outside the file-backed part of every executable segment.
/// - kNotSupported: a valid ELF this loader does not run: ELFCLASS32, big endian, an OS ABI
///   other than System V or GNU, a machine other than x86-64, a type other than ET_EXEC
///   (ET_DYN, i.e. PIE or shared objects, included), e_phnum == PN_XNUM, or a program
///   header of type PT_INTERP, PT_DYNAMIC, PT_SHLIB, PT_TLS or any type not listed above.
/// - kOutOfRange: more than kMaxSegments non-empty PT_LOADs, a segment's page-rounded
///   range (vaddr + memory_size wrapping included) outside `limits`, or the total of the
///   page-rounded sizes above limits.max_total_memory.
Result<Image> parse_executable(std::span<const uint8_t> file, const Limits& limits);

}  // namespace atoll_os::elf
