#include "daemons/cli/terminal.hpp"

#include <algorithm>
#include <cstdio>

namespace dcos::cli {

std::string printable(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c < 0x20 || c > 0x7e) c = '?';  // char may be signed: bytes >= 0x80 are < 0
  }
  return out;
}

std::string format_amount(double value) {
  char buffer[64];
  const int length = std::snprintf(buffer, sizeof buffer, "%.2f", value);
  if (length <= 0 || static_cast<size_t>(length) >= sizeof buffer) return "?";
  std::string text(buffer, static_cast<size_t>(length));
  if (text.find('.') != std::string::npos) {
    text.erase(text.find_last_not_of('0') + 1);
    if (text.back() == '.') text.pop_back();
  }
  return text == "-0" ? "0" : text;
}

Table::Table(std::vector<Column> columns) : columns_(std::move(columns)) {}

void Table::add_row(const std::vector<std::string>& cells) {
  std::vector<std::string> row(columns_.size());
  for (size_t i = 0; i < row.size() && i < cells.size(); ++i) row[i] = printable(cells[i]);
  rows_.push_back(std::move(row));
}

std::string Table::line(const std::vector<std::string>& cells, const std::vector<size_t>& widths) const {
  std::string out;
  for (size_t i = 0; i < columns_.size(); ++i) {
    if (i > 0) out += "  ";
    const std::string padding(widths[i] - cells[i].size(), ' ');
    out += columns_[i].align == Align::right ? padding + cells[i] : cells[i] + padding;
  }
  out.erase(out.find_last_not_of(' ') + 1);
  return out + "\n";
}

std::string Table::text() const {
  std::vector<std::string> header;
  std::vector<size_t> widths;
  for (const Column& column : columns_) {
    header.push_back(printable(column.title));
    widths.push_back(header.back().size());
  }
  for (const auto& row : rows_) {
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::string out = line(header, widths);
  for (const auto& row : rows_) out += line(row, widths);
  return out;
}

void StatusLine::show(const std::string& text, const std::string& detail) {
  if (in_place_) {
    out_ << "\r" << printable(text) << (detail.empty() ? "" : "  " + printable(detail)) << "\033[K";
    out_.flush();
    shown_ = true;
  } else if (text != last_) {
    out_ << printable(text) << "\n";
    out_.flush();
  }
  last_ = text;
}

void StatusLine::clear() {
  if (!in_place_ || !shown_) return;
  out_ << "\r\033[K";
  out_.flush();
  shown_ = false;
}

}  // namespace dcos::cli
