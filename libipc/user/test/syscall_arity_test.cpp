// Tests of syscall_arity, which checks the raw wrappers against syscalls.def at compile time.
#include <gtest/gtest.h>

#include "atoll/user/syscall.h"

namespace atoll_os::user {
namespace {

TEST(SyscallArity, CountsDeclaredArguments) {
  EXPECT_EQ(syscall_arity("()"), 0);
  EXPECT_EQ(syscall_arity("() -> nanoseconds since boot"), 0);
  EXPECT_EQ(syscall_arity("(int64 code) -> never returns"), 1);
  EXPECT_EQ(syscall_arity("(handle h): every handle derived from h stops working"), 1);
  EXPECT_EQ(syscall_arity("(handle h, uint32 rights, uint64 badge) -> new handle"), 3);
  // Commas after the closing parenthesis are prose, not arguments.
  EXPECT_EQ(syscall_arity("(handle a, handle b) -> x, y"), 2);
}

TEST(SyscallArity, FlagsMalformedSignatures) {
  EXPECT_EQ(syscall_arity(""), -1);
  EXPECT_EQ(syscall_arity("handle h"), -1);
  EXPECT_EQ(syscall_arity("(handle h"), -1);
}

// Every entry of the real table parses and fits the six argument registers.
#define ATOLL_SYSCALL(number, name, signature)         \
  static_assert(syscall_arity(signature) >= 0, #name); \
  static_assert(syscall_arity(signature) <= 6, #name);
#include "atoll/abi/syscalls.def"
#undef ATOLL_SYSCALL

TEST(SyscallArity, KnownEntriesOfTheTable) {
  EXPECT_EQ(syscall_arity("(handle endpoint, Message* msg, uint64 timeout_ns)"), 3);
  EXPECT_EQ(syscall_arity("(handle from_task, uint64 from_vaddr, handle to_task, uint64 "
                          "to_vaddr, uint64 pages, uint32 flags)"),
            6);
}

}  // namespace
}  // namespace atoll_os::user
