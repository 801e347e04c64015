// SPDX-License-Identifier: Apache-2.0
//
// The declarative table of vsctl commands, testpmd-style `verb object
// [args]`. A Command is data (words, argument grammar, help) plus two
// functions: build_request (arguments -> the request message, no I/O) and
// run (the one RPC, then printing). The parser, `help` and a future interactive
// mode (completion of words, keywords and live names by ValueType, history)
// all work from this data, so commands are never rewritten for a new front
// end.
#pragma once

#include <functional>
#include <memory>
#include <ostream>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "vswitch/shell/arg_spec.h"
#include "vswitch/shell/args.h"
#include "vswitch/shell/client.h"
#include "vswitch/shell/printer.h"

namespace vswitch::shell {

// Exit codes of one command (vsctl's process exit code).
inline constexpr int kExitOk = 0;
inline constexpr int kExitRpcError = 1;  // The daemon answered with an error.
inline constexpr int kExitUsage = 2;     // The command line did not parse.

// Members have initializers so that a table entry names only what it sets
// (designated initializers without -Wmissing-field-initializers noise).
struct Command {
  // The command words, e.g. {"show", "ports"}.
  std::vector<std::string> words = {};
  // Positionals first (required before optional), then keywords and flags.
  std::vector<ArgSpec> args = {};
  // One line, for the command list.
  std::string help = {};
  // The longer explanation printed by `help VERB OBJECT` under the synopsis.
  std::string usage = {};
  // The one RPC the command makes, as named in vswitch.proto, and its types.
  std::string rpc = {};
  const google::protobuf::Descriptor* request_type = nullptr;
  const google::protobuf::Descriptor* response_type = nullptr;
  // Builds the request from arguments the parser accepted. No I/O, except
  // for `load`, which reads its FILE (nullptr when it does not parse).
  std::function<std::unique_ptr<google::protobuf::Message>(const Args&)> build_request = {};
  // Builds the request, makes the RPC and prints the reply (text or JSON)
  // or the error. Returns kExitOk or kExitRpcError.
  std::function<int(const Args&, Client&, Printer&)> run = {};
};

// "add vnet NAME tenant TENANT vni N [prefix CIDR]...".
std::string Synopsis(const Command& command);

// Splits one typed or scripted command line into words at spaces and tabs
// (no quoting: no argument holds a space).
std::vector<std::string> SplitWords(const std::string& line);

// A parsed command line.
struct Invocation {
  const Command* command = nullptr;
  Args args = {};
};

// Owns the commands. Immutable after construction. Thread: any.
class CommandTable {
 public:
  explicit CommandTable(std::vector<Command> commands);

  const std::vector<Command>& commands() const { return commands_; }

  // The commands whose words begin with `prefix`, in table order (all of
  // them for an empty prefix). A completer offers their next words.
  std::vector<const Command*> Match(std::span<const std::string> prefix) const;

  // Parses `words` (the command line without global options). Returns
  // InvalidArgument with a one-line message that names the offending word.
  absl::StatusOr<Invocation> Parse(std::span<const std::string> words) const;

  // Runs one command line: `help [WORDS...]` or a command. Parse errors
  // print "error: <message>" to printer.err() and return kExitUsage.
  int Execute(std::span<const std::string> words, Client& client, Printer& printer) const;

  // `help` with no words: every command's synopsis and help line.
  void PrintCommandList(std::ostream& out) const;
  // `help WORDS...`: one command's usage, or the list of commands starting
  // with WORDS. Returns kExitOk, or kExitUsage (message on `err`) when no
  // command matches.
  int PrintHelp(std::span<const std::string> words, std::ostream& out, std::ostream& err) const;

 private:
  std::vector<Command> commands_;
};

}  // namespace vswitch::shell
