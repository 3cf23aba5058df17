// Which bytes of an executable file belong in one page of a process image.
#pragma once

#include <stdint.h>

namespace atoll_os::servers {

/// The file-backed part of a segment: file[offset, offset + size) goes to [vaddr, +size).
struct FileBacking {
  uint64_t vaddr;
  uint64_t offset;
  uint64_t size;
};

/// What to copy into the page at `page`: file bytes [source_offset, +length) go to
/// page_offset inside the page; every other byte of the page is zero. length 0: all zero.
struct PageCopy {
  uint64_t page_offset;
  uint64_t source_offset;
  uint64_t length;
};

/// The copy that fills page `page` (page-aligned) of a segment backed by `backing`.
PageCopy page_copy(const FileBacking& backing, uint64_t page);

}  // namespace atoll_os::servers
