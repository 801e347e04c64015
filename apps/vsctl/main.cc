// SPDX-License-Identifier: Apache-2.0
//
// vsctl: the vswitch shell. `vsctl [OPTIONS] COMMAND [ARGS]` runs one
// command (one RPC to vswitchd) and exits 0 (done), 1 (the daemon returned
// an error) or 2 (bad command line). `vsctl -f FILE` runs a file of
// commands and stops at the first error; `vsctl` alone opens the prompt.
//
// The few global options are parsed by hand rather than with gflags: they
// must stop at the first command word (names such as "-x" are arguments
// there) and every mistake must be one line and exit code 2.
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "vswitch/shell/client.h"
#include "vswitch/shell/command_table.h"
#include "vswitch/shell/commands.h"
#include "vswitch/shell/interactive_shell.h"
#include "vswitch/shell/printer.h"
#include "vswitch/shell/script_runner.h"

namespace vswitch::shell {
namespace {

constexpr char kDefaultSocket[] = "/run/vswitch/vswitchd.sock";

struct Options {
  std::string socket;
  bool json = false;
  bool help = false;
  // -f FILE: run the commands of FILE.
  std::string script;
  // The command line after the options.
  std::vector<std::string> command;
  // --server HOST:PORT: vswitchd's --listen address, over TLS.
  std::string server;
  std::string tls_ca, tls_cert, tls_key;
};

// The field that the option `arg` ("--name" or "--name=value") sets, or
// nullptr when it is not an option with a value.
std::string* ValueOption(std::string_view arg, Options* options) {
  const std::string_view name = arg.substr(0, arg.find('='));
  if (name == "--socket") return &options->socket;
  if (name == "--server") return &options->server;
  if (name == "--tls_ca") return &options->tls_ca;
  if (name == "--tls_cert") return &options->tls_cert;
  if (name == "--tls_key") return &options->tls_key;
  return nullptr;
}

// Reads a PEM file named by option `flag`; false with a one-line `error`.
bool ReadPem(const char* flag, const std::string& path, std::string* out, std::string* error) {
  if (path.empty()) {
    return true;
  }
  std::ifstream in(path, std::ios::binary);
  out->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (!in || out->empty()) {
    *error = std::string(flag) + " " + path + ": cannot read it or it is empty";
    return false;
  }
  return true;
}

// The client for --socket, or with --server a TLS one; nullptr with `error`.
std::unique_ptr<Client> MakeClient(const Options& o, std::string* error) {
  if (o.server.empty()) {
    if (!o.tls_ca.empty() || !o.tls_cert.empty() || !o.tls_key.empty()) {
      *error = "--tls_ca, --tls_cert and --tls_key need --server HOST:PORT";
      return nullptr;
    }
    return std::make_unique<Client>(o.socket);
  }
  if (o.tls_cert.empty() != o.tls_key.empty()) {
    *error = "--tls_cert and --tls_key go together";
    return nullptr;
  }
  std::string ca, cert, key;
  if (!ReadPem("--tls_ca", o.tls_ca, &ca, error) ||
      !ReadPem("--tls_cert", o.tls_cert, &cert, error) ||
      !ReadPem("--tls_key", o.tls_key, &key, error)) {
    return nullptr;
  }
  return std::make_unique<Client>(TlsChannel(o.server, ca, cert, key));
}

// Fills `options` from argv. Returns false with a one-line `error`.
bool ParseOptions(int argc, char** argv, Options* options, std::string* error) {
  const char* env_socket = std::getenv("VSCTL_SOCKET");
  options->socket = env_socket != nullptr && env_socket[0] != '\0' ? env_socket : kDefaultSocket;
  int i = 1;
  for (; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--") {
      ++i;
      break;
    }
    if (!arg.starts_with("-") || arg == "-") {
      break;
    }
    if (arg == "--json") {
      options->json = true;
    } else if (arg == "--help" || arg == "-h") {
      options->help = true;
    } else if (arg == "-f" || arg == "--file" || arg.starts_with("--file=")) {
      std::string_view value;
      if (arg.starts_with("--file=")) {
        value = arg.substr(std::string_view("--file=").size());
      } else if (i + 1 < argc) {
        value = argv[++i];
      }
      if (value.empty()) {
        *error = std::string(arg.substr(0, arg.find('='))) + " needs a FILE";
        return false;
      }
      options->script = std::string(value);
    } else if (std::string* dest = ValueOption(arg, options)) {
      const std::string_view name = arg.substr(0, arg.find('='));
      std::string_view value;
      if (arg.find('=') != std::string_view::npos) {
        value = arg.substr(name.size() + 1);
      } else if (i + 1 < argc) {
        value = argv[++i];
      }
      if (value.empty()) {
        *error = std::string(name) + " needs a value";
        return false;
      }
      *dest = std::string(value);
    } else {
      *error = "unknown option \"" + std::string(arg) + "\" (try \"vsctl --help\")";
      return false;
    }
  }
  options->command.assign(argv + i, argv + argc);
  return true;
}

void PrintUsage(const CommandTable& table, std::ostream& out) {
  out << "usage: vsctl [--socket PATH | --server HOST:PORT TLS...] [--json] COMMAND [ARGS...]\n"
         "       vsctl [--socket PATH] [--json] -f FILE\n"
         "       vsctl [--socket PATH]\n"
         "       vsctl help [VERB [OBJECT]]\n"
         "\n"
         "With no command, vsctl opens a prompt (vsctl> ): Tab completes command\n"
         "words, keywords and names of existing objects; `help`, `quit`. History\n"
         "is kept in $VSCTL_HISTORY, else ~/.vsctl_history.\n"
         "-f FILE runs FILE's commands, one per line (# comments, blank lines\n"
         "skipped), and stops at the first error: FILE:LINE: ERROR, its exit code.\n"
         "\n"
         "Options, before the command:\n"
         "  --socket PATH  vswitchd's gRPC socket (default: $VSCTL_SOCKET, else\n"
         "                 "
      << kDefaultSocket
      << ")\n"
         "  --server HOST:PORT  talk to vswitchd's --listen address over TLS instead\n"
         "  --tls_ca FILE  PEM CA that signed the server's certificate (default: the\n"
         "                 system's roots); the certificate must name HOST\n"
         "  --tls_cert FILE, --tls_key FILE  this client's certificate and key, for a\n"
         "                 daemon started with --tls_client_ca (mutual TLS)\n"
         "  --json         print the daemon's reply as JSON\n"
         "  -f, --file FILE  run the commands of FILE\n"
         "  -h, --help     print this help\n"
         "\n"
         "Commands:\n";
  table.PrintCommandList(out);
  out << "\n"
         "Exit code: 0 done, 1 the daemon returned an error, 2 bad command line.\n";
}

int Main(int argc, char** argv) {
  Options options;
  std::string error;
  if (!ParseOptions(argc, argv, &options, &error)) {
    std::cerr << "error: " << error << '\n';
    return kExitUsage;
  }
  const CommandTable table = VSwitchCommands();
  if (options.help || options.command == std::vector<std::string>{"help"}) {
    PrintUsage(table, std::cout);
    return kExitOk;
  }
  const bool interactive = options.command.empty() && options.script.empty() && !options.json;
  if (interactive) {
    // Before the client starts gRPC's threads, which inherit the mask: the
    // prompt reads these signals itself (interactive_shell.h).
    BlockShellSignals();
  }
  std::unique_ptr<Client> client_ptr = MakeClient(options, &error);
  if (client_ptr == nullptr) {
    std::cerr << "error: " << error << '\n';
    return kExitUsage;
  }
  Client& client = *client_ptr;
  if (!options.script.empty()) {
    if (!options.command.empty()) {
      std::cerr << "error: -f FILE takes no command on the command line\n";
      return kExitUsage;
    }
    return RunScript(table, client, options.script, options.json, std::cout, std::cerr);
  }
  if (options.command.empty()) {
    if (options.json) {
      std::cerr << "error: --json needs a command or -f FILE\n";
      return kExitUsage;
    }
    InteractiveShell shell(table, client, ShellOptions{.history_path = DefaultHistoryPath()});
    shell.Run();
    if (shell.exit_signal() != 0) {
      // Ended by SIGTERM, SIGHUP or SIGQUIT, terminal restored: die of it.
      RaiseWithDefaultAction(shell.exit_signal());
      return 128 + shell.exit_signal();
    }
    return kExitOk;
  }
  Printer printer(std::cout, std::cerr, options.json);
  return table.Execute(options.command, client, printer);
}

}  // namespace
}  // namespace vswitch::shell

int main(int argc, char** argv) { return vswitch::shell::Main(argc, argv); }
