// The Prometheus text exposition format (version 0.0.4) for /metrics.
// Each metric is written with its # HELP and # TYPE lines; names follow
// Prometheus conventions (dcos_<daemon>_<what>[_total]). Not thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace dcos {

class MetricsText {
 public:
  MetricsText& gauge(std::string_view name, std::string_view help, double value);
  MetricsText& counter(std::string_view name, std::string_view help, double value);
  // One metric with several labelled samples, e.g. labels `zone="cluster",rcode="NOERROR"`.
  struct Sample {
    std::string labels;
    double value = 0;
  };
  MetricsText& counters(std::string_view name, std::string_view help, const std::vector<Sample>& samples);
  MetricsText& gauges(std::string_view name, std::string_view help, const std::vector<Sample>& samples);
  const std::string& text() const { return text_; }

  static constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

 private:
  MetricsText& add(std::string_view type, std::string_view name, std::string_view help, double value);
  MetricsText& family(std::string_view type, std::string_view name, std::string_view help,
                      const std::vector<Sample>& samples);
  void header(std::string_view type, std::string_view name, std::string_view help);
  void sample(std::string_view name, std::string_view labels, double value);
  std::string text_;
};

}  // namespace dcos
