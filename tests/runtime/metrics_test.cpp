#include "runtime/metrics.hpp"

#include <gtest/gtest.h>

namespace dcos {
namespace {

TEST(MetricsText, WritesHelpTypeAndValueInExpositionFormat) {
  MetricsText metrics;
  metrics.gauge("dcos_master_agents_registered", "Agents registered.", 3)
      .counter("dcos_master_bad_frames_total", "Bad frames.", 12345678901.0)
      .gauge("dcos_master_uptime_seconds", "Uptime.", 0.5);
  EXPECT_EQ(metrics.text(),
            "# HELP dcos_master_agents_registered Agents registered.\n"
            "# TYPE dcos_master_agents_registered gauge\n"
            "dcos_master_agents_registered 3\n"
            "# HELP dcos_master_bad_frames_total Bad frames.\n"
            "# TYPE dcos_master_bad_frames_total counter\n"
            "dcos_master_bad_frames_total 12345678901\n"
            "# HELP dcos_master_uptime_seconds Uptime.\n"
            "# TYPE dcos_master_uptime_seconds gauge\n"
            "dcos_master_uptime_seconds 0.5\n");
}

}  // namespace
}  // namespace dcos
