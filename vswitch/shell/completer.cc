// SPDX-License-Identifier: Apache-2.0
#include "vswitch/shell/completer.h"

#include <algorithm>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace vswitch::shell {
namespace {

// Driver spec beginnings offered for ValueType::kDriverSpec (vswitch.proto's
// driver list).
constexpr const char* kDriverPrefixes[] = {"tap:iface=", "af_packet:iface=", "pcap:", "ring",
                                           "null"};

// Collects candidates in order, without duplicates, that start with a prefix.
class Collector {
 public:
  explicit Collector(const std::string& partial) : partial_(partial) {}

  void Add(const std::string& word) {
    if (word.starts_with(partial_) && std::find(out_.begin(), out_.end(), word) == out_.end()) {
      out_.push_back(word);
    }
  }
  void AddSorted(std::vector<std::string> words) {
    std::sort(words.begin(), words.end());
    for (const std::string& word : words) {
      Add(word);
    }
  }
  std::vector<std::string> Take() { return std::move(out_); }

 private:
  const std::string& partial_;
  std::vector<std::string> out_;
};

// The values an argument of `spec` may take: choices, live names, driver
// prefixes. Free text, numbers, MACs and rules offer nothing.
void AddValues(const ArgSpec& spec, NameProvider& names, Collector* out) {
  switch (spec.type) {
    case ValueType::kChoice:
      for (const std::string& choice : spec.choices) {
        out->Add(choice);
      }
      break;
    case ValueType::kVNetName:
    case ValueType::kVPortName:
    case ValueType::kDestinationName:
    case ValueType::kSessionName:
      out->AddSorted(names.Names(spec.type));
      break;
    case ValueType::kDriverSpec:
      for (const char* prefix : kDriverPrefixes) {
        out->Add(prefix);
      }
      break;
    default:
      break;
  }
}

const ArgSpec* FindKeyword(const Command& command, const std::string& word) {
  for (const ArgSpec& spec : command.args) {
    if (spec.kind != ArgKind::kPositional && spec.name == word) {
      return &spec;
    }
  }
  return nullptr;
}

bool Repeats(Occurs occurs) { return occurs == Occurs::kRepeated || occurs == Occurs::kOneOrMore; }

// Candidates for the word after `args`, the arguments typed so far of
// `command`. Walks them as CommandTable::Parse does (positionals first; an
// optional positional gives way to a keyword) without checking values.
// Values come before keywords.
void AddArgumentCandidates(const Command& command, std::span<const std::string> args,
                           NameProvider& names, Collector* out) {
  std::vector<const ArgSpec*> positionals;
  for (const ArgSpec& spec : command.args) {
    if (spec.kind == ArgKind::kPositional) {
      positionals.push_back(&spec);
    }
  }
  std::vector<std::string> used;
  size_t next_positional = 0;
  for (size_t i = 0; i < args.size(); ++i) {
    const ArgSpec* keyword = FindKeyword(command, args[i]);
    if (next_positional < positionals.size() &&
        (positionals[next_positional]->occurs == Occurs::kRequired || keyword == nullptr)) {
      ++next_positional;
      continue;
    }
    if (keyword == nullptr) {
      continue;  // A mistake the parser will name; complete what may follow.
    }
    used.push_back(keyword->name);
    if (keyword->kind == ArgKind::kKeyword) {
      if (i + 1 == args.size()) {
        AddValues(*keyword, names, out);  // The word being typed is its value.
        return;
      }
      ++i;
    }
  }
  bool keywords_allowed = true;
  // Optional positionals are offered only before the first keyword, where
  // the synopsis puts them.
  if (next_positional < positionals.size() &&
      (used.empty() || positionals[next_positional]->occurs == Occurs::kRequired)) {
    const ArgSpec& positional = *positionals[next_positional];
    AddValues(positional, names, out);
    keywords_allowed = positional.occurs != Occurs::kRequired;
  }
  if (!keywords_allowed) {
    return;
  }
  for (const ArgSpec& spec : command.args) {
    if (spec.kind == ArgKind::kPositional) {
      continue;
    }
    if (Repeats(spec.occurs) || std::find(used.begin(), used.end(), spec.name) == used.end()) {
      out->Add(spec.name);
    }
  }
}

}  // namespace

std::vector<std::string> CompletionCandidates(const CommandTable& table,
                                              std::span<const std::string> words,
                                              const std::string& partial, NameProvider& names) {
  Collector out(partial);
  // `help WORDS...` completes command words only.
  const bool help = !words.empty() && words[0] == "help";
  std::span<const std::string> command_words = help ? words.subspan(1) : words;
  if (words.empty()) {
    for (const char* builtin : kBuiltinWords) {
      out.Add(builtin);
    }
  }
  // Still among the command words: offer the next ones.
  for (const Command* command : table.Match(command_words)) {
    if (command_words.size() < command->words.size()) {
      out.Add(command->words[command_words.size()]);
    }
  }
  if (help) {
    return out.Take();
  }
  // Past a complete command's words: its arguments.
  for (size_t depth = 1; depth <= words.size(); ++depth) {
    for (const Command* command : table.Match(words.first(depth))) {
      if (command->words.size() == depth) {
        AddArgumentCandidates(*command, words.subspan(depth), names, &out);
        return out.Take();
      }
    }
  }
  return out.Take();
}

std::string CommonPrefix(std::span<const std::string> candidates) {
  if (candidates.empty()) {
    return "";
  }
  std::string prefix = candidates[0];
  for (const std::string& candidate : candidates.subspan(1)) {
    size_t n = 0;
    while (n < prefix.size() && n < candidate.size() && prefix[n] == candidate[n]) {
      ++n;
    }
    prefix.resize(n);
  }
  return prefix;
}

bool CompletesWord(const std::string& candidate) {
  return !candidate.empty() && candidate.back() != '=' && candidate.back() != ':' &&
         candidate.back() != ',';
}

}  // namespace vswitch::shell
