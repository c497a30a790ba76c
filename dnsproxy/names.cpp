#include "dnsproxy/names.hpp"

namespace dcos::dns {

std::string label_of(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char raw : text) {
    const char c = (raw >= 'A' && raw <= 'Z') ? static_cast<char>(raw - 'A' + 'a') : raw;
    const bool valid = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    out.push_back(valid ? c : '-');
  }
  const auto first = out.find_first_not_of('-');
  if (first == std::string::npos) return "";
  out = out.substr(first, out.find_last_not_of('-') - first + 1);
  if (out.size() > kMaxLabel) {
    out.resize(kMaxLabel);
    while (!out.empty() && out.back() == '-') out.pop_back();
  }
  return out;
}

std::string domain_fragment(std::string_view text) {
  std::string out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t dot = std::min(text.find('.', start), text.size());
    const std::string label = label_of(text.substr(start, dot - start));
    if (!label.empty()) {
      if (!out.empty()) out.push_back('.');
      out += label;
    }
    start = dot + 1;
  }
  return out;
}

}  // namespace dcos::dns
