#include <gtest/gtest.h>

#include "gateway/diagnostics/metrics.hpp"

namespace ketenpoort {
namespace {

TEST(Metrics, CountersRenderInPrometheusTextFormat) {
  GatewayMetrics metrics;
  metrics.requests.inc({"exchange", "/v1/whoami", "200"});
  metrics.requests.inc({"exchange", "/v1/whoami", "200"});
  metrics.tls_handshake_failures.inc({"exchange", "unknown-ca"});
  const std::string text = metrics.renderPrometheus();
  EXPECT_NE(text.find("# TYPE ketenpoort_http_requests_total counter"), std::string::npos);
  EXPECT_NE(text.find("ketenpoort_http_requests_total{listener=\"exchange\",route=\"/v1/whoami\","
                      "status=\"200\"} 2"),
            std::string::npos);
  EXPECT_NE(text.find("ketenpoort_tls_handshake_failures_total{listener=\"exchange\","
                      "reason=\"unknown-ca\"} 1"),
            std::string::npos);
}

TEST(Metrics, HistogramBucketsAreCumulative) {
  HistogramFamily h("h", "help", {"l"}, {0.1, 1.0});
  h.observe({"x"}, 0.05);
  h.observe({"x"}, 0.5);
  h.observe({"x"}, 5.0);
  std::string text;
  h.render(text);
  EXPECT_NE(text.find("h_bucket{l=\"x\",le=\"0.10000000000000001\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("h_bucket{l=\"x\",le=\"1\"} 2"), std::string::npos) << text;
  EXPECT_NE(text.find("h_bucket{l=\"x\",le=\"+Inf\"} 3"), std::string::npos) << text;
  EXPECT_NE(text.find("h_count{l=\"x\"} 3"), std::string::npos) << text;
  EXPECT_EQ(h.count({"x"}), 3u);
}

TEST(Metrics, GaugesGoUpAndDown) {
  GaugeFamily g("g", "help", {"listener"});
  g.add({"exchange"}, 3);
  g.add({"exchange"}, -1);
  EXPECT_EQ(g.value({"exchange"}), 2);
}

TEST(Metrics, LabelValuesAreEscaped) {
  CounterFamily c("c", "help", {"reason"});
  c.inc({"a\"b\\c"});
  std::string text;
  c.render(text);
  EXPECT_NE(text.find(R"(c{reason="a\"b\\c"} 1)"), std::string::npos) << text;
}

}  // namespace
}  // namespace ketenpoort
