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
//
// Signals: libedit's own handlers (EL_SIGNAL) are never used. They run on
// whichever thread the kernel picks (a gRPC thread, usually) and touch the
// EditLine that Run() may be freeing: AddressSanitizer caught a SEGV there
// when a terminal hung up. With handle_signals the shell reads them instead,
// on its own thread, through a signalfd polled beside stdin; that needs
// BlockShellSignals() before any other thread exists.
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
  // Read the signals of BlockShellSignals() while waiting for input:
  // Ctrl-C (SIGINT) abandons the line and prompts again; SIGTERM, SIGHUP
  // and SIGQUIT end Run() with the terminal restored (exit_signal() says
  // which); Ctrl-Z (SIGTSTP) and SIGCONT stop and resume with the terminal
  // restored and re-entered; SIGWINCH follows the new width. A signal that
  // comes while a command runs waits for it to end (its RPC deadline bounds
  // that). Needs BlockShellSignals(). Off in the daemon, whose own handlers
  // stop it.
  bool handle_signals = true;
  // Lines kept in the history.
  int history_size = 1000;
};

// Blocks the signals that a shell with handle_signals reads (SIGINT,
// SIGTERM, SIGHUP, SIGQUIT, SIGTSTP, SIGCONT, SIGWINCH) in the calling
// thread. Call it first in main(), before any thread (gRPC's) starts: threads
// inherit the mask, so these signals stay pending for the shell's signalfd
// and no handler ever runs on another thread.
void BlockShellSignals();

// Ends the process by `signal` with its default action (as if no handler
// had been set up), e.g. after Run() ended on SIGTERM with the terminal
// restored, so that a parent shell sees the signal. Returns only if the
// default action is to ignore it.
void RaiseWithDefaultAction(int signal);

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

  // The terminating signal (SIGTERM, SIGHUP, SIGQUIT) that ended the last
  // Run(), or 0 when something else did (quit, EOF, Stop()).
  int exit_signal() const { return exit_signal_; }

 private:
  const CommandTable& table_;
  Client& client_;
  ShellOptions options_;
  // Stop() writes to [1]; the reader polls [0] beside stdin.
  int stop_pipe_[2] = {-1, -1};
  int exit_signal_ = 0;
};

}  // namespace vswitch::shell
