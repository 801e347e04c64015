// SPDX-License-Identifier: Apache-2.0
//
// The interactive vsctl prompt, testpmd-style: reads command lines with
// libedit (line editing, history kept in a file across runs, Tab completion
// of command words, keywords and live object names), runs each with the
// CommandTable over gRPC and prints to stdout, errors included, so that a
// daemon's log on stderr never mixes into a command's answer. `quit`,
// `exit`, EOF (Ctrl-D) or Stop() end it.
//
// vsctl runs it on its main thread; `vswitchd --interactive` on a thread of
// its own, talking to the daemon's own socket. Thread: Run() on one thread
// at a time (libedit's terminal state is per process); Stop() from any.
// Lifetime: borrows `table` and `client`, which must outlive it.
#pragma once

#include <string>

#include "vswitch/shell/client.h"
#include "vswitch/shell/command_table.h"

namespace vswitch::shell {

struct ShellOptions {
  // The prompt, e.g. "vsctl> ".
  std::string prompt = "vsctl> ";
  // The history file; "" keeps no history. Missing at start is fine; it is
  // rewritten after every command.
  std::string history_path = {};
  // Let libedit catch terminal signals (SIGINT, SIGTSTP, SIGWINCH...) to
  // restore the terminal. Off in the daemon, whose own handlers stop it.
  bool handle_signals = true;
  // Lines kept in the history.
  int history_size = 1000;
};

// The history file when none is given: $VSCTL_HISTORY if set and not
// empty, else ~/.vsctl_history, else "" (no $HOME).
std::string DefaultHistoryPath();

class InteractiveShell {
 public:
  InteractiveShell(const CommandTable& table, Client& client, ShellOptions options);
  ~InteractiveShell();
  InteractiveShell(const InteractiveShell&) = delete;
  InteractiveShell& operator=(const InteractiveShell&) = delete;

  // Reads stdin and runs commands until `quit`, `exit`, EOF or Stop().
  // A failed command prints its error and the prompt goes on. Returns
  // kExitOk.
  int Run();

  // Makes Run() return at its next read (at once when it waits for input).
  // Thread: any; async-signal-safe (one write to a pipe).
  void Stop();

 private:
  const CommandTable& table_;
  Client& client_;
  ShellOptions options_;
  // Stop() writes to [1]; the reader polls [0] beside stdin.
  int stop_pipe_[2] = {-1, -1};
};

}  // namespace vswitch::shell
