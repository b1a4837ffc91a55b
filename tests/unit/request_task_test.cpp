#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <vector>

#include "gateway/api/request_task.hpp"

namespace ketenpoort {
namespace {

// An executor that keeps what it is given, for the test to run or drop.
struct HeldWork {
  std::vector<std::function<void()>> work;
  BlockingExecutor executor() {
    return [this](std::function<void()> f) { work.push_back(std::move(f)); };
  }
};

// Notes its own destruction: tells whether a coroutine frame was destroyed.
struct Witness {
  explicit Witness(bool& gone) : gone_(gone) {}
  Witness(const Witness&) = delete;
  Witness& operator=(const Witness&) = delete;
  ~Witness() { gone_ = true; }
  bool& gone_;
};

RequestTask hopAndAnswer(const BlockingExecutor& executor, bool& frame_gone, int& step) {
  Witness witness(frame_gone);
  step = 1;
  co_await ResumeOn(executor);
  step = 2;
  co_return ApiResponse{201, "text/plain", "done", {}};
}

TEST(RequestTask, RunsToItsFirstWaitThenAnswersOnceResumed) {
  HeldWork held;
  const BlockingExecutor executor = held.executor();
  bool frame_gone = false;
  int step = 0;
  std::vector<ApiResponse> answers;
  hopAndAnswer(executor, frame_gone, step).start([&](ApiResponse r) { answers.push_back(std::move(r)); });
  EXPECT_EQ(step, 1);
  EXPECT_TRUE(answers.empty());
  ASSERT_EQ(held.work.size(), 1u);
  held.work.front()();
  EXPECT_EQ(step, 2);
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(answers[0].status, 201u);
  EXPECT_EQ(answers[0].body, "done");
  EXPECT_TRUE(frame_gone);
}

TEST(RequestTask, WorkDroppedUnrunDestroysTheWaitingRequestWithoutAnAnswer) {
  HeldWork held;
  const BlockingExecutor executor = held.executor();
  bool frame_gone = false;
  int step = 0;
  bool answered = false;
  hopAndAnswer(executor, frame_gone, step).start([&](ApiResponse) { answered = true; });
  EXPECT_FALSE(frame_gone);
  held.work.clear();  // a pool stopped at shutdown
  EXPECT_TRUE(frame_gone);
  EXPECT_FALSE(answered);
  EXPECT_EQ(step, 1);
}

RequestTask failing(bool& frame_gone) {
  Witness witness(frame_gone);
  throw std::runtime_error("a bug");
  co_return ApiResponse{};
}

TEST(RequestTask, AnEscapedExceptionIsAnswered500) {
  bool frame_gone = false;
  std::vector<ApiResponse> answers;
  failing(frame_gone).start([&](ApiResponse r) { answers.push_back(std::move(r)); });
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(answers[0].status, 500u);
  EXPECT_NE(answers[0].body.find("internal-error"), std::string::npos);
  EXPECT_TRUE(frame_gone);
}

// The answer leaves after the coroutine's locals are gone (an in-flight claim is released
// before the sender can hear the answer and send again).
RequestTask answerAfterLocals(bool& local_gone) {
  Witness witness(local_gone);
  co_return ApiResponse{200, "text/plain", "", {}};
}

TEST(RequestTask, AnswersOnlyAfterItsLocalsAreGone) {
  bool local_gone = false;
  bool gone_when_answered = false;
  answerAfterLocals(local_gone).start([&](ApiResponse) { gone_when_answered = local_gone; });
  EXPECT_TRUE(gone_when_answered);
}

TEST(PendingWrites, ResumesOnceTheLastWriteReports) {
  auto writes = std::make_shared<PendingWrites>();
  writes->expect();
  writes->expect();
  bool resumed = false;
  auto waiter = [](std::shared_ptr<PendingWrites> w, bool& flag) -> RequestTask {
    co_await w->allDone();
    flag = true;
    co_return ApiResponse{};
  };
  waiter(writes, resumed).start([](ApiResponse) {});
  EXPECT_FALSE(resumed);
  writes->report();
  EXPECT_FALSE(resumed);
  writes->report();
  EXPECT_TRUE(resumed);
}

}  // namespace
}  // namespace ketenpoort
