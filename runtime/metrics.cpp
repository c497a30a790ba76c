#include "runtime/metrics.hpp"

#include <cstdio>

namespace dcos {

MetricsText& MetricsText::gauge(std::string_view name, std::string_view help, double value) {
  return add("gauge", name, help, value);
}

MetricsText& MetricsText::counter(std::string_view name, std::string_view help, double value) {
  return add("counter", name, help, value);
}

MetricsText& MetricsText::add(std::string_view type, std::string_view name, std::string_view help, double value) {
  char number[64];
  std::snprintf(number, sizeof number, "%.17g", value);
  text_.append("# HELP ").append(name).append(" ").append(help).append("\n");
  text_.append("# TYPE ").append(name).append(" ").append(type).append("\n");
  text_.append(name).append(" ").append(number).append("\n");
  return *this;
}

}  // namespace dcos
