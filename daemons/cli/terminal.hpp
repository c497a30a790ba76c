// Output for a person at a terminal: aligned tables, a status line for
// progress, and text from the network made safe to print.
//
// Widths are counted in bytes, which is exact because printable() leaves
// only printable ASCII. Pure; thread-safe as far as its values are.
#pragma once

#include <ostream>
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

// One line of progress for a person waiting. In place (on a terminal), each
// show() rewrites the line ("\r", the text, erase to its end) and `detail`
// (an elapsed time, say) follows the text; otherwise a text is printed on a
// line of its own when it differs from the last one, without its detail, so
// a log or a pipe gets each step once. Text goes through printable().
class StatusLine {
 public:
  StatusLine(std::ostream& out, bool in_place) : out_(out), in_place_(in_place) {}
  ~StatusLine() { clear(); }
  StatusLine(const StatusLine&) = delete;
  StatusLine& operator=(const StatusLine&) = delete;

  void show(const std::string& text, const std::string& detail = {});
  // Erases the line in place (so that a result can take it); else nothing.
  void clear();

 private:
  std::ostream& out_;
  bool in_place_;
  bool shown_ = false;
  std::string last_;
};

}  // namespace dcos::cli
