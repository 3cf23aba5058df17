// The fixture of the IPC state tests: an endpoint, simulated threads of a simulated task,
// and the system calls as syscall/ipc.cpp makes them, over the fakes of ipc_fakes.cpp.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "ipc_fakes.h"
#include "object/endpoint.h"

namespace atoll_os::kernel::ipc_test {

inline constexpr int64_t kNotFound = -int64_t(Error::kNotFound);
inline constexpr int64_t kTimedOut = -int64_t(Error::kTimedOut);
inline constexpr uint64_t kSomeTimeout = 5'000'000;

class IpcTest : public ::testing::Test {
 public:  // parameterized cases arrange their conditions from outside the fixture
  void SetUp() override {
    world().reset();
    live_before_ = KernelObject::live_count();
    task_ = ipc_test::make_task();
    ASSERT_NE(task_, nullptr);
    auto created = Endpoint::create();
    ASSERT_TRUE(created.ok());
    endpoint_ = *created;  // this reference stands for the one handle to it
  }

  // As Task::kill_threads: each thread abandons its IPC and dies. Afterwards every object
  // must be gone — a reference leaked or dropped twice shows up here (or under ASan).
  void TearDown() override {
    for (Thread* t : threads_) {
      ipc_abandon(*t);
      t->set_state(ThreadState::kDead);
      t->release();
    }
    if (endpoint_) endpoint_->release();
    task_->release();
    if (other_task_) other_task_->release();
    world().reset();
    EXPECT_EQ(KernelObject::live_count(), live_before_);
  }

  Thread& thread(Task* task = nullptr) {
    threads_.push_back(ipc_test::make_thread(task ? *task : *task_));
    return *threads_.back();
  }
  // A second task, for partners in separate address spaces.
  Task& other_task() {
    if (other_task_ == nullptr) other_task_ = ipc_test::make_task();
    return *other_task_;
  }

  // The system calls, as syscall/ipc.cpp prepares them, made by `t` as the current thread.
  // `via`: the revocation node of the handle the thread sends through (none: nullptr).
  int64_t send(Thread& t, uint64_t timeout_ns = abi::kForever, uint64_t badge = 0,
               RevocationNode* via = nullptr) {
    world().current = &t;
    t.ipc.is_call = false;
    t.ipc.is_fault = false;
    t.ipc.badge = badge;
    return endpoint_->send(t, timeout_ns, via);
  }
  int64_t call(Thread& t, uint64_t timeout_ns = abi::kForever, RevocationNode* via = nullptr) {
    world().current = &t;
    t.ipc.is_call = true;
    t.ipc.is_fault = false;
    return endpoint_->send(t, timeout_ns, via);
  }
  // As user_fault.cpp's ask_pager: a call the kernel makes on a faulting thread's behalf.
  int64_t fault_call(Thread& t, uint64_t address, uint64_t rip) {
    world().current = &t;
    t.ipc.is_call = true;
    t.ipc.is_fault = true;
    t.ipc.fault = {address, rip, abi::kFaultWrite, 0};
    return endpoint_->send(t, abi::kForever, nullptr);
  }
  int64_t receive(Thread& t, uint64_t timeout_ns = abi::kForever) {
    world().current = &t;
    return endpoint_->receive(t, timeout_ns);
  }
  int64_t reply(Thread& t, uint64_t label = 0) {
    world().current = &t;
    t.ipc.header.label = label;
    t.ipc.is_call = false;
    return ipc_reply(t);
  }

  bool queued(const Thread& t) const { return t.ipc.endpoint == endpoint_ && t.wait_link.linked(); }
  static bool readied(const Thread& t) {
    auto& r = world().readied;
    return std::find(r.begin(), r.end(), &t) != r.end();
  }
  // Woken exactly once, with `result` as its system call's result.
  static void expect_woken(const Thread& t, int64_t result) {
    auto& r = world().readied;
    EXPECT_EQ(std::count(r.begin(), r.end(), &t), 1);
    EXPECT_EQ(t.state(), ThreadState::kReady);
    EXPECT_EQ(t.ipc.result, result);
    EXPECT_EQ(t.ipc.endpoint, nullptr);
    EXPECT_FALSE(t.wait_link.linked());
    EXPECT_FALSE(t.timeout_link.linked());
  }
  static void expect_delivery(size_t index, const Thread& sender, const Thread& receiver) {
    auto& d = world().deliveries;
    ASSERT_GT(d.size(), index);
    EXPECT_EQ(d[index].sender, &sender) << "delivery " << index;
    EXPECT_EQ(d[index].receiver, &receiver) << "delivery " << index;
  }
  // Drops the test's reference to the endpoint, as closing its last handle does.
  void close_endpoint() { std::exchange(endpoint_, nullptr)->release(); }

  Task* task_ = nullptr;
  Task* other_task_ = nullptr;
  Endpoint* endpoint_ = nullptr;
  std::vector<Thread*> threads_;
  uint64_t live_before_ = 0;
};

}  // namespace atoll_os::kernel::ipc_test
