// W3C trace context on the way in: the sender's trace is continued and its span kept as
// the exchange's parent (LDV's foreign operation) only when the header is well-formed.
#include <gtest/gtest.h>

#include "gateway/exchange/exchange_pipeline.hpp"

namespace ketenpoort {
namespace {

TEST(TraceContext, AWellFormedTraceparentIsContinuedWithItsSpanAsParent) {
  const TraceContext c = traceContextFrom("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  EXPECT_EQ(c.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(c.foreign_span_id, "00f067aa0ba902b7");
}

TEST(TraceContext, AnythingElseStartsANewTraceWithoutParent) {
  for (const char* bad : {"", "garbage", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
                          "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
                          "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
                          "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
                          "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-zz",
                          "00-4bf92f3577b34da6a3ce929d0e0e4736x00f067aa0ba902b7-01",
                          "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                          "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\nX: y"}) {
    const TraceContext c = traceContextFrom(bad);
    EXPECT_EQ(c.trace_id.size(), 32u) << bad;
    EXPECT_NE(c.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736") << bad;
    EXPECT_TRUE(c.foreign_span_id.empty()) << bad;
  }
}

}  // namespace
}  // namespace ketenpoort
