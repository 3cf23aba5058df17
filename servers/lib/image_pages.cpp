// The overlap of one page with the file-backed bytes of a segment.
#include "image_pages.h"

#include "layout.h"

namespace atoll_os::servers {

PageCopy page_copy(const FileBacking& backing, uint64_t page) {
  uint64_t data_end = backing.vaddr + backing.size;
  uint64_t from = page > backing.vaddr ? page : backing.vaddr;
  uint64_t to = page + kPageSize < data_end ? page + kPageSize : data_end;
  if (backing.size == 0 || from >= to) return {0, 0, 0};
  return {from - page, backing.offset + (from - backing.vaddr), to - from};
}

}  // namespace atoll_os::servers
