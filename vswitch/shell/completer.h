// SPDX-License-Identifier: Apache-2.0
//
// Tab completion for the interactive shell: given the words typed so far,
// what may come next. It reads only the CommandTable's data (command words,
// ArgSpecs) and asks a NameProvider for the names of live objects, so it is
// a pure function that tests drive with a fake provider (file arguments
// list the local directory, the one thing it reads itself).
#pragma once

#include <span>
#include <string>
#include <vector>

#include "vswitch/shell/arg_spec.h"
#include "vswitch/shell/command_table.h"

namespace vswitch::shell {

// The names of existing objects of one ValueType (kVNetName, kVPortName,
// kDestinationName, kSessionName). Thread: the caller's.
class NameProvider {
 public:
  virtual ~NameProvider() = default;
  // The names, in any order; empty when there are none or they cannot be
  // had (completion then offers nothing, it never fails).
  virtual std::vector<std::string> Names(ValueType type) = 0;
};

// The interactive shell's own words, offered besides the commands at the
// start of a line.
inline constexpr const char* kBuiltinWords[] = {"help", "quit", "exit"};

// The candidates for the word being typed: `words` are the complete words
// before it, `partial` what is typed of it ("" right after a space). Each
// candidate is a whole word that starts with `partial`: command words (and
// the built-ins) first in table order, then, once the command is known, the
// values its next argument may take (choices, live names from `names`,
// driver prefixes, files of the typed directory for a kFilePath) and the
// keywords and flags still allowed. Values come
// before keywords, names sorted. No duplicates. Empty when nothing fits.
std::vector<std::string> CompletionCandidates(const CommandTable& table,
                                              std::span<const std::string> words,
                                              const std::string& partial, NameProvider& names);

// The longest common prefix of `candidates` ("" for none).
std::string CommonPrefix(std::span<const std::string> candidates);

// Whether a completed `candidate` is a whole word (a space follows it) or
// the start of one the user goes on typing ("tap:iface=", a directory "d/").
bool CompletesWord(const std::string& candidate);

}  // namespace vswitch::shell
