// SPDX-License-Identifier: Apache-2.0
#include "vswitch/shell/completer.h"

#include <dirent.h>

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

// The entries of the directory part of `partial` ("" = the current
// directory), each as `partial` would continue into it; directories end in
// '/', so completion goes on inside them. Hidden files only when asked for.
std::vector<std::string> PathCandidates(const std::string& partial) {
  const size_t slash = partial.rfind('/');
  const std::string dir_part = slash == std::string::npos ? "" : partial.substr(0, slash + 1);
  const std::string base = slash == std::string::npos ? partial : partial.substr(slash + 1);
  std::vector<std::string> out;
  DIR* dir = opendir(dir_part.empty() ? "." : dir_part.c_str());
  if (dir == nullptr) {
    return out;
  }
  while (const dirent* entry = readdir(dir)) {
    const std::string name = entry->d_name;
    if (name == "." || name == ".." || (name[0] == '.' && !base.starts_with("."))) {
      continue;
    }
    bool is_dir = entry->d_type == DT_DIR;
    if (entry->d_type == DT_UNKNOWN || entry->d_type == DT_LNK) {
      DIR* sub = opendir((dir_part.empty() ? name : dir_part + name).c_str());
      is_dir = sub != nullptr;
      if (sub != nullptr) {
        closedir(sub);
      }
    }
    out.push_back(dir_part + name + (is_dir ? "/" : ""));
  }
  closedir(dir);
  return out;
}

// The values an argument of `spec` may take: choices, live names, driver
// prefixes, files. Free text, numbers, MACs and rules offer nothing.
void AddValues(const ArgSpec& spec, NameProvider& names, const std::string& partial,
               Collector* out) {
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
    case ValueType::kFilePath:
      out->AddSorted(PathCandidates(partial));
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
                           NameProvider& names, const std::string& partial, Collector* out) {
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
        AddValues(*keyword, names, partial, out);  // The word being typed is its value.
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
    AddValues(positional, names, partial, out);
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
  // Past a complete command's words: its arguments. The longest command
  // wins, as in CommandTable::Parse (`load remote-ports` over `load`).
  for (size_t depth = words.size(); depth >= 1; --depth) {
    for (const Command* command : table.Match(words.first(depth))) {
      if (command->words.size() == depth) {
        AddArgumentCandidates(*command, words.subspan(depth), names, partial, &out);
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
         candidate.back() != ',' && candidate.back() != '/';
}

}  // namespace vswitch::shell
