// SPDX-License-Identifier: Apache-2.0
#include "vswitch/shell/text_table.h"

#include <algorithm>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace vswitch::shell {

TextTable::TextTable(std::vector<Column> columns) : columns_(std::move(columns)) {}

void TextTable::AddRow(std::vector<std::string> cells) {
  cells.resize(columns_.size());
  rows_.push_back(std::move(cells));
}

void TextTable::Render(std::ostream& out) const {
  std::vector<size_t> widths;
  for (const Column& column : columns_) {
    widths.push_back(column.header.size());
  }
  for (const std::vector<std::string>& row : rows_) {
    for (size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  }
  auto render_row = [&](auto cell_of) {
    std::string line;
    for (size_t i = 0; i < columns_.size(); ++i) {
      const std::string& cell = cell_of(i);
      std::string pad(widths[i] - cell.size(), ' ');
      bool last = i + 1 == columns_.size();
      if (i > 0) {
        line += "  ";
      }
      if (columns_[i].right_align) {
        line += pad + cell;
      } else {
        line += cell;
        if (!last) {
          line += pad;
        }
      }
    }
    out << line << '\n';
  };
  render_row([&](size_t i) -> const std::string& { return columns_[i].header; });
  for (const std::vector<std::string>& row : rows_) {
    render_row([&](size_t i) -> const std::string& { return row[i]; });
  }
}

}  // namespace vswitch::shell
