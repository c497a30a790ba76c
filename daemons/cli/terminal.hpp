// Output for a person at a terminal: aligned tables, and text from the
// network made safe to print.
//
// Widths are counted in bytes, which is exact because printable() leaves
// only printable ASCII. Pure; thread-safe as far as its values are.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace dcos::cli {

// `text` with every byte outside printable ASCII replaced by '?', so that a
// hostile hostname cannot send escape sequences to the operator's terminal.
std::string printable(std::string_view text);

// "4", "0.5", "1024", "1.25": at most two decimals, no trailing zeros.
std::string format_amount(double value);

class Table {
 public:
  enum class Align { left, right };
  struct Column {
    std::string title;
    Align align = Align::left;
  };

  explicit Table(std::vector<Column> columns);

  // Cells beyond the columns are dropped, missing ones are empty; each cell
  // goes through printable().
  void add_row(const std::vector<std::string>& cells);

  // The header and the rows, one per line, columns two spaces apart, no
  // trailing spaces.
  std::string text() const;

 private:
  std::string line(const std::vector<std::string>& cells, const std::vector<size_t>& widths) const;

  std::vector<Column> columns_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace dcos::cli
