// SPDX-License-Identifier: Apache-2.0
//
// `vswitchd --interactive`: the vsctl shell run on a plain std::thread of
// the daemon, a gRPC client of the daemon's own socket like any vsctl (no
// back door into the control plane). Owns the command table, the client,
// the shell and the thread. Thread: construct, Stop() and destroy on one
// thread (the daemon's main thread). Lifetime: the daemon's serving phase;
// start it after the gRPC server listens, stop it before the server shuts
// down.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "vswitch/shell/client.h"
#include "vswitch/shell/command_table.h"
#include "vswitch/shell/interactive_shell.h"

namespace vswitch::shell {

class ShellThread {
 public:
  // Starts the shell on its own thread, talking to `socket_path`.
  // `on_quit` runs on that thread when the user ends the shell (`quit`,
  // `exit`, EOF), never when Stop() ends it.
  ShellThread(const std::string& socket_path, ShellOptions options, std::function<void()> on_quit);
  // Stop().
  ~ShellThread();
  ShellThread(const ShellThread&) = delete;
  ShellThread& operator=(const ShellThread&) = delete;

  // Ends the shell at its next read (restoring the terminal) and joins the
  // thread; a command in flight finishes first (its RPC deadline bounds
  // the wait). Idempotent.
  void Stop();

 private:
  const CommandTable table_;
  Client client_;
  InteractiveShell shell_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace vswitch::shell
