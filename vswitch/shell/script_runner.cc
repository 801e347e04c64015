// SPDX-License-Identifier: Apache-2.0
#include "vswitch/shell/script_runner.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/strip.h"
#include "vswitch/shell/printer.h"

namespace vswitch::shell {

int RunScript(const CommandTable& table, Client& client, const std::string& path, bool json,
              std::ostream& out, std::ostream& err) {
  std::ifstream file(path);
  if (!file) {
    err << "error: " << path << ": " << std::strerror(errno) << '\n';
    return kExitUsage;
  }
  std::string line;
  for (int number = 1; std::getline(file, line); ++number) {
    const std::vector<std::string> words = SplitWords(line);
    if (words.empty() || words[0].starts_with("#")) {
      continue;
    }
    if (words.size() == 1 && (words[0] == "quit" || words[0] == "exit")) {
      break;
    }
    // The command's error goes to a buffer, to be printed with its line.
    std::ostringstream command_err;
    Printer printer(out, command_err, json);
    const int code = table.Execute(words, client, printer);
    std::string message = command_err.str();
    if (code == kExitOk) {
      err << message;
      continue;
    }
    out.flush();
    absl::string_view text = message;
    absl::ConsumePrefix(&text, "error: ");
    text = absl::StripTrailingAsciiWhitespace(text);
    err << path << ':' << number << ": " << std::string(text) << '\n';
    return code;
  }
  if (file.bad()) {
    err << "error: " << path << ": " << std::strerror(errno) << '\n';
    return kExitUsage;
  }
  return kExitOk;
}

}  // namespace vswitch::shell
