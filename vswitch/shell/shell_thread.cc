// SPDX-License-Identifier: Apache-2.0
#include "vswitch/shell/shell_thread.h"

#include <functional>
#include <string>
#include <thread>
#include <utility>

#include "vswitch/shell/commands.h"

namespace vswitch::shell {

ShellThread::ShellThread(const std::string& socket_path, ShellOptions options,
                         std::function<void()> on_quit)
    : table_(VSwitchCommands()),
      client_(socket_path),
      shell_(table_, client_, std::move(options)),
      thread_([this, on_quit = std::move(on_quit)] {
        shell_.Run();
        if (!stopping_.load() && on_quit) {
          on_quit();
        }
      }) {}

ShellThread::~ShellThread() { Stop(); }

void ShellThread::Stop() {
  stopping_.store(true);
  shell_.Stop();
  if (thread_.joinable()) {
    thread_.join();
  }
}

}  // namespace vswitch::shell
