// SPDX-License-Identifier: Apache-2.0
#include "vswitch/shell/command_table.h"

#include <algorithm>
#include <ostream>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace vswitch::shell {
namespace {

bool StartsWith(const std::vector<std::string>& words, std::span<const std::string> prefix) {
  return prefix.size() <= words.size() && std::equal(prefix.begin(), prefix.end(), words.begin());
}

// The distinct words that may follow `prefix`, in table order: what an
// error message (and a completer) offers.
std::vector<std::string> NextWords(std::span<const Command* const> matches, size_t depth) {
  std::vector<std::string> next;
  for (const Command* command : matches) {
    if (depth < command->words.size() &&
        std::find(next.begin(), next.end(), command->words[depth]) == next.end()) {
      next.push_back(command->words[depth]);
    }
  }
  return next;
}

// A structural mistake: the message ends with the synopsis, so that one
// line shows both what was wrong and what is expected.
absl::Status UsageError(const Command& command, const std::string& what) {
  return absl::InvalidArgumentError(absl::StrFormat(
      "%s: %s (usage: %s)", absl::StrJoin(command.words, " "), what, Synopsis(command)));
}

// Whether a keyword may be given more than once.
bool Repeats(Occurs occurs) { return occurs == Occurs::kRepeated || occurs == Occurs::kOneOrMore; }

// Whether an argument must be given (at least once).
bool Required(Occurs occurs) { return occurs == Occurs::kRequired || occurs == Occurs::kOneOrMore; }

// How a missing argument is named: `NAME`, `"vni N"`, `"collector IP"`.
std::string MissingName(const ArgSpec& spec) {
  if (spec.kind == ArgKind::kPositional) {
    return spec.placeholder;
  }
  ArgSpec once = spec;
  once.occurs = Occurs::kRequired;
  return absl::StrFormat("\"%s\"", Synopsis(once));
}

const ArgSpec* FindKeyword(const Command& command, const std::string& word) {
  for (const ArgSpec& spec : command.args) {
    if (spec.kind != ArgKind::kPositional && spec.name == word) {
      return &spec;
    }
  }
  return nullptr;
}

// Parses what follows the command words. Positionals come first; an
// optional positional is skipped when the word is one of the command's
// keywords, so `flush fdb static` means the flag, not a VNet named "static".
absl::Status ParseArgs(const Command& command, std::span<const std::string> words, Args* args) {
  std::vector<const ArgSpec*> positionals;
  for (const ArgSpec& spec : command.args) {
    if (spec.kind == ArgKind::kPositional) {
      positionals.push_back(&spec);
    }
  }
  const std::string name = absl::StrJoin(command.words, " ");
  size_t next_positional = 0;
  for (size_t i = 0; i < words.size(); ++i) {
    const std::string& word = words[i];
    const ArgSpec* keyword = FindKeyword(command, word);
    if (next_positional < positionals.size() &&
        (positionals[next_positional]->occurs == Occurs::kRequired || keyword == nullptr)) {
      const ArgSpec& spec = *positionals[next_positional++];
      absl::Status status = CheckValue(spec, word);
      if (!status.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(name, ": ", status.message()));
      }
      args->Add(spec.name, word);
      continue;
    }
    if (keyword == nullptr) {
      std::string what = absl::StrFormat("unexpected word \"%s\"", word);
      if (word.starts_with("-")) {
        what += "; global options go before the command";
      }
      return UsageError(command, what);
    }
    if (!Repeats(keyword->occurs) && args->Has(keyword->name)) {
      return UsageError(command, absl::StrFormat("\"%s\" given twice", keyword->name));
    }
    if (keyword->kind == ArgKind::kFlag) {
      args->Add(keyword->name, keyword->name);
      continue;
    }
    if (i + 1 == words.size()) {
      return UsageError(command, absl::StrFormat("missing value for \"%s\"", keyword->name));
    }
    const std::string& value = words[++i];
    absl::Status status = CheckValue(*keyword, value);
    if (!status.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(name, ": ", status.message()));
    }
    args->Add(keyword->name, value);
  }
  for (const ArgSpec& spec : command.args) {
    if (Required(spec.occurs) && !args->Has(spec.name)) {
      return UsageError(command, "missing " + MissingName(spec));
    }
  }
  return absl::OkStatus();
}

void PrintCommands(std::span<const Command* const> commands, std::ostream& out) {
  for (const Command* command : commands) {
    out << "  " << Synopsis(*command) << "\n      " << command->help << '\n';
  }
}

}  // namespace

std::string Synopsis(const Command& command) {
  std::string text = absl::StrJoin(command.words, " ");
  for (const ArgSpec& spec : command.args) {
    absl::StrAppend(&text, " ", Synopsis(spec));
  }
  return text;
}

std::vector<std::string> SplitWords(const std::string& line) {
  return absl::StrSplit(line, absl::ByAnyChar(" \t\r\n"), absl::SkipEmpty());
}

CommandTable::CommandTable(std::vector<Command> commands) : commands_(std::move(commands)) {}

std::vector<const Command*> CommandTable::Match(std::span<const std::string> prefix) const {
  std::vector<const Command*> matches;
  for (const Command& command : commands_) {
    if (StartsWith(command.words, prefix)) {
      matches.push_back(&command);
    }
  }
  return matches;
}

absl::StatusOr<Invocation> CommandTable::Parse(std::span<const std::string> words) const {
  if (words.empty()) {
    return absl::InvalidArgumentError("no command given (try \"help\")");
  }
  // Narrow the candidates one word at a time until a command's words are
  // all consumed; what is left are its arguments.
  std::vector<const Command*> matches = Match({});
  for (size_t depth = 0; depth < words.size(); ++depth) {
    std::vector<const Command*> narrower = Match(words.first(depth + 1));
    if (narrower.empty()) {
      if (depth == 0) {
        return absl::InvalidArgumentError(
            absl::StrFormat("unknown command \"%s\" (try \"help\")", words[0]));
      }
      return absl::InvalidArgumentError(
          absl::StrFormat("%s: unknown %s \"%s\" (expected one of: %s)",
                          absl::StrJoin(words.first(depth), " "), depth == 1 ? "object" : "word",
                          words[depth], absl::StrJoin(NextWords(matches, depth), ", ")));
    }
    matches = std::move(narrower);
    // `load remote-ports FILE` over `load FILE`: a longer command whose next
    // word follows wins over a complete one.
    if (depth + 1 < words.size() && !Match(words.first(depth + 2)).empty()) {
      continue;
    }
    for (const Command* command : matches) {
      if (command->words.size() == depth + 1) {
        Invocation invocation{.command = command};
        absl::Status status = ParseArgs(*command, words.subspan(depth + 1), &invocation.args);
        if (!status.ok()) {
          return status;
        }
        return invocation;
      }
    }
  }
  return absl::InvalidArgumentError(
      absl::StrFormat("incomplete command \"%s\" (expected one of: %s)", absl::StrJoin(words, " "),
                      absl::StrJoin(NextWords(matches, words.size()), ", ")));
}

int CommandTable::Execute(std::span<const std::string> words, Client& client,
                          Printer& printer) const {
  if (!words.empty() && words[0] == "help") {
    return PrintHelp(words.subspan(1), printer.out(), printer.err());
  }
  absl::StatusOr<Invocation> invocation = Parse(words);
  if (!invocation.ok()) {
    printer.err() << "error: " << invocation.status().message() << '\n';
    return kExitUsage;
  }
  return invocation->command->run(invocation->args, client, printer);
}

void CommandTable::PrintCommandList(std::ostream& out) const { PrintCommands(Match({}), out); }

int CommandTable::PrintHelp(std::span<const std::string> words, std::ostream& out,
                            std::ostream& err) const {
  std::vector<const Command*> matches = Match(words);
  if (matches.empty()) {
    err << "error: no command \"" << absl::StrJoin(words, " ") << "\" (try \"help\")\n";
    return kExitUsage;
  }
  for (const Command* command : matches) {
    if (command->words.size() == words.size()) {
      out << "usage: " << Synopsis(*command) << "\n\n" << command->help << '\n';
      if (!command->usage.empty()) {
        out << '\n' << command->usage << '\n';
      }
      if (!command->rpc.empty()) {
        out << "\nRPC: " << command->rpc << '\n';
      }
      // `help load` also names `load remote-ports`, which begins with it.
      std::vector<const Command*> longer;
      for (const Command* other : matches) {
        if (other != command) {
          longer.push_back(other);
        }
      }
      if (!longer.empty()) {
        out << "\nSee also:\n";
        PrintCommands(longer, out);
      }
      return kExitOk;
    }
  }
  PrintCommands(matches, out);
  return kExitOk;
}

}  // namespace vswitch::shell
