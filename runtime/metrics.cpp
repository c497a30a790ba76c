#include "runtime/metrics.hpp"

#include <cstdio>

namespace dcos {

MetricsText& MetricsText::gauge(std::string_view name, std::string_view help, double value) {
  return add("gauge", name, help, value);
}

MetricsText& MetricsText::counter(std::string_view name, std::string_view help, double value) {
  return add("counter", name, help, value);
}

MetricsText& MetricsText::counters(std::string_view name, std::string_view help,
                                   const std::vector<Sample>& samples) {
  return family("counter", name, help, samples);
}

MetricsText& MetricsText::gauges(std::string_view name, std::string_view help, const std::vector<Sample>& samples) {
  return family("gauge", name, help, samples);
}

MetricsText& MetricsText::family(std::string_view type, std::string_view name, std::string_view help,
                                 const std::vector<Sample>& samples) {
  header(type, name, help);
  for (const auto& s : samples) sample(name, s.labels, s.value);
  return *this;
}

MetricsText& MetricsText::add(std::string_view type, std::string_view name, std::string_view help, double value) {
  header(type, name, help);
  sample(name, {}, value);
  return *this;
}

void MetricsText::header(std::string_view type, std::string_view name, std::string_view help) {
  text_.append("# HELP ").append(name).append(" ").append(help).append("\n");
  text_.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void MetricsText::sample(std::string_view name, std::string_view labels, double value) {
  char number[64];
  std::snprintf(number, sizeof number, "%.17g", value);
  text_.append(name);
  if (!labels.empty()) text_.append("{").append(labels).append("}");
  text_.append(" ").append(number).append("\n");
}

}  // namespace dcos
