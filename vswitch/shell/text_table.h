// SPDX-License-Identifier: Apache-2.0
//
// A table of text with aligned columns, as `show` prints it: a header row,
// then one row per object, columns separated by two spaces, no trailing
// blanks. Thread: any; plain value type.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace vswitch::shell {

class TextTable {
 public:
  struct Column {
    std::string header;
    // Numbers read best right-aligned.
    bool right_align = false;
  };

  explicit TextTable(std::vector<Column> columns);

  // A short row is padded with empty cells. Precondition: no more cells
  // than columns.
  void AddRow(std::vector<std::string> cells);
  void Render(std::ostream& out) const;

 private:
  std::vector<Column> columns_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace vswitch::shell
