// SPDX-License-Identifier: Apache-2.0
#include "vswitch/shell/interactive_shell.h"

#include <fcntl.h>
#include <histedit.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cwchar>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "vswitch/shell/completer.h"
#include "vswitch/shell/printer.h"
#include "vswitch/shell/rpc_name_provider.h"

namespace vswitch::shell {
namespace {

// The signals the shell reads itself (ShellOptions::handle_signals).
sigset_t ShellSignals() {
  sigset_t set;
  sigemptyset(&set);
  for (int signal : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP, SIGCONT, SIGWINCH}) {
    sigaddset(&set, signal);
  }
  return set;
}

// ReadChar hands a signal to OnSignal as this character, bound to it: with
// the terminal's ISIG on (libedit keeps it), Ctrl-C never arrives as a byte.
// When it does (ISIG off), it acts as SIGINT.
constexpr wchar_t kSignalChar = L'\x03';

// What libedit's callbacks (C function pointers) reach through
// EL_CLIENTDATA. Lives on Run()'s stack.
struct Session {
  const CommandTable* table;
  NameProvider* names;
  const std::string* prompt;
  int stop_fd;
  // A signalfd for ShellSignals(), or -1 (poll skips it).
  int signal_fd;
  std::mbstate_t mb_state;
  // The signal ReadChar passes to OnSignal (0: none, i.e. a typed Ctrl-C).
  int pending_signal = 0;
  // OnSignal(SIGINT) ended the line: Run() drops it.
  bool interrupted = false;
  // The terminating signal that made ReadChar return EOF.
  int exit_signal = 0;
};

Session* SessionOf(EditLine* el) {
  void* data = nullptr;
  el_get(el, EL_CLIENTDATA, &data);
  return static_cast<Session*>(data);
}

char* Prompt(EditLine* el) { return const_cast<char*>(SessionOf(el)->prompt->c_str()); }

// libedit's character reader: waits for stdin, the stop pipe (so that
// Stop() ends a blocked read) and the signalfd. Returns 1 with a character,
// 0 at EOF, stop or a terminating signal, -1 on error (libedit's contract).
int ReadChar(EditLine* el, wchar_t* out) {
  Session* session = SessionOf(el);
  while (true) {
    pollfd fds[3] = {{.fd = STDIN_FILENO, .events = POLLIN, .revents = 0},
                     {.fd = session->stop_fd, .events = POLLIN, .revents = 0},
                     {.fd = session->signal_fd, .events = POLLIN, .revents = 0}};
    if (poll(fds, 3, -1) < 0) {
      if (errno == EINTR) {
        continue;
      }
      return -1;
    }
    if (fds[1].revents != 0) {
      return 0;
    }
    if (fds[2].revents != 0) {
      signalfd_siginfo info;
      if (read(session->signal_fd, &info, sizeof(info)) != static_cast<ssize_t>(sizeof(info))) {
        continue;
      }
      const int signal = static_cast<int>(info.ssi_signo);
      if (signal == SIGTERM || signal == SIGHUP || signal == SIGQUIT) {
        session->exit_signal = signal;
        return 0;
      }
      // The rest act on the line being edited: in a bound function, where
      // libedit lets us change and redraw it.
      session->pending_signal = signal;
      *out = kSignalChar;
      return 1;
    }
    char byte;
    const ssize_t n = read(STDIN_FILENO, &byte, 1);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return n == 0 ? 0 : -1;
    }
    wchar_t wc;
    const size_t used = std::mbrtowc(&wc, &byte, 1, &session->mb_state);
    if (used == static_cast<size_t>(-2)) {
      continue;  // Part of a multibyte character.
    }
    if (used == static_cast<size_t>(-1)) {
      session->mb_state = std::mbstate_t();
      wc = static_cast<unsigned char>(byte);
    }
    *out = wc;
    return 1;
  }
}

// Bound to kSignalChar: acts on the signal ReadChar read.
unsigned char OnSignal(EditLine* el, int) {
  Session* session = SessionOf(el);
  const int signal = session->pending_signal != 0 ? session->pending_signal : SIGINT;
  session->pending_signal = 0;
  switch (signal) {
    case SIGINT: {
      // As a shell does: "^C" after the line, a new line, a new prompt. The
      // line still goes through ed-newline (pushed "\n"), so libedit moves
      // to a fresh line itself; Run() then drops it.
      const LineInfo* line = el_line(el);
      el_cursor(el, static_cast<int>(line->lastchar - line->cursor));
      el_insertstr(el, "^C");
      el_push(el, "\n");
      session->interrupted = true;
      return CC_REFRESH;
    }
    case SIGWINCH:
      el_resize(el);
      return CC_REDISPLAY;
    case SIGTSTP: {
      // Stop as the default action would, with the terminal as it was
      // before the prompt; a blocked signal must be unblocked to act.
      el_set(el, EL_PREP_TERM, 0);
      sigset_t tstp;
      sigemptyset(&tstp);
      sigaddset(&tstp, SIGTSTP);
      pthread_sigmask(SIG_UNBLOCK, &tstp, nullptr);
      raise(SIGTSTP);
      pthread_sigmask(SIG_BLOCK, &tstp, nullptr);
      [[fallthrough]];  // Continued: as SIGCONT.
    }
    case SIGCONT:
      // Whoever ran in the foreground meanwhile set the terminal up its
      // way: back to cooked (libedit's notion), then to editing again.
      el_set(el, EL_PREP_TERM, 0);
      el_set(el, EL_PREP_TERM, 1);
      return CC_REDISPLAY;
    default:
      return CC_NORM;
  }
}

// Prints `candidates` in columns under the line being edited.
void PrintCandidates(EditLine* el, const std::vector<std::string>& candidates) {
  FILE* out = nullptr;
  el_get(el, EL_GETFP, 1, &out);
  if (out == nullptr) {
    out = stdout;
  }
  size_t width = 0;
  for (const std::string& candidate : candidates) {
    width = std::max(width, candidate.size() + 2);
  }
  const size_t columns = std::max<size_t>(1, 80 / width);
  std::fputc('\n', out);
  for (size_t i = 0; i < candidates.size(); ++i) {
    const bool last_in_row = (i + 1) % columns == 0 || i + 1 == candidates.size();
    std::fputs(candidates[i].c_str(), out);
    if (last_in_row) {
      std::fputc('\n', out);
    } else {
      std::fprintf(out, "%*s", static_cast<int>(width - candidates[i].size()), "");
    }
  }
  std::fflush(out);
}

// Bound to Tab: completes the word before the cursor with
// CompletionCandidates. One candidate is inserted whole (with a space
// after a whole word); several insert their common prefix, or are listed
// when it adds nothing.
unsigned char Complete(EditLine* el, int) {
  Session* session = SessionOf(el);
  const LineInfo* line = el_line(el);
  const std::string before(line->buffer, line->cursor);
  std::vector<std::string> words = SplitWords(before);
  std::string partial;
  if (!before.empty() && before.back() != ' ' && before.back() != '\t' && !words.empty()) {
    partial = words.back();
    words.pop_back();
  }
  const std::vector<std::string> candidates =
      CompletionCandidates(*session->table, words, partial, *session->names);
  if (candidates.empty()) {
    return CC_REFRESH_BEEP;
  }
  if (candidates.size() == 1) {
    std::string rest = candidates[0].substr(partial.size());
    if (CompletesWord(candidates[0])) {
      rest += ' ';
    }
    return el_insertstr(el, rest.c_str()) == 0 ? CC_REFRESH : CC_ERROR;
  }
  const std::string prefix = CommonPrefix(candidates);
  if (prefix.size() > partial.size()) {
    return el_insertstr(el, prefix.substr(partial.size()).c_str()) == 0 ? CC_REFRESH : CC_ERROR;
  }
  PrintCandidates(el, candidates);
  return CC_REDISPLAY;
}

}  // namespace

void BlockShellSignals() {
  const sigset_t set = ShellSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

void RaiseWithDefaultAction(int signal) {
  struct sigaction action {};
  action.sa_handler = SIG_DFL;
  sigaction(signal, &action, nullptr);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, signal);
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
  raise(signal);
}

std::string DefaultHistoryPath() {
  const char* env = std::getenv("VSCTL_HISTORY");
  if (env != nullptr && env[0] != '\0') {
    return env;
  }
  const char* home = std::getenv("HOME");
  if (home == nullptr || home[0] == '\0') {
    return "";
  }
  return std::string(home) + "/.vsctl_history";
}

InteractiveShell::InteractiveShell(const CommandTable& table, Client& client, ShellOptions options)
    : table_(table), client_(client), options_(std::move(options)) {
  if (pipe2(stop_pipe_, O_CLOEXEC | O_NONBLOCK) != 0) {
    stop_pipe_[0] = stop_pipe_[1] = -1;
  }
}

InteractiveShell::~InteractiveShell() {
  for (int fd : stop_pipe_) {
    if (fd >= 0) {
      close(fd);
    }
  }
}

void InteractiveShell::Stop() {
  if (stop_pipe_[1] >= 0) {
    const char byte = 0;
    [[maybe_unused]] ssize_t n = write(stop_pipe_[1], &byte, 1);
  }
}

int InteractiveShell::Run() {
  RpcNameProvider names(client_);
  int signal_fd = -1;
  if (options_.handle_signals) {
    // Blocked here too, in case the caller forgot; other threads' masks are
    // the caller's to set (BlockShellSignals()).
    const sigset_t set = ShellSignals();
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    signal_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  }
  Session session{.table = &table_,
                  .names = &names,
                  .prompt = &options_.prompt,
                  .stop_fd = stop_pipe_[0],
                  .signal_fd = signal_fd,
                  .mb_state = std::mbstate_t()};
  exit_signal_ = 0;

  History* hist = history_init();
  HistEvent event;
  ::history(hist, &event, H_SETSIZE, options_.history_size);
  ::history(hist, &event, H_SETUNIQUE, 1);
  if (!options_.history_path.empty()) {
    ::history(hist, &event, H_LOAD, options_.history_path.c_str());
  }

  EditLine* el = el_init("vsctl", stdin, stdout, stderr);
  el_set(el, EL_CLIENTDATA, &session);
  el_set(el, EL_EDITOR, "emacs");
  el_set(el, EL_SIGNAL, 0);  // See the header: ReadChar reads signals.
  el_set(el, EL_GETCFN, &ReadChar);
  el_set(el, EL_PROMPT, &Prompt);
  el_set(el, EL_HIST, &::history, hist);
  // el_wset, not el_set: libedit's narrow EL_ADDFN wcsdup()s the name and
  // help and never frees them (LeakSanitizer reports it); the wide call keeps
  // these static literals.
  el_wset(el, EL_ADDFN, L"vs-complete", L"complete a command word, keyword or name", &Complete);
  el_set(el, EL_BIND, "^I", "vs-complete", nullptr);
  // Ctrl-R searches the history backwards, as in readline.
  el_set(el, EL_BIND, "^R", "em-inc-search-prev", nullptr);
  el_wset(el, EL_ADDFN, L"vs-signal", L"act on a signal read by the shell", &OnSignal);
  el_set(el, EL_BIND, "^C", "vs-signal", nullptr);

  Printer printer(std::cout, std::cout, /*json=*/false);
  while (true) {
    int count = 0;
    const char* raw = el_gets(el, &count);
    if (raw == nullptr || count <= 0) {
      std::cout << '\n' << std::flush;  // Leaves the terminal on a new line.
      break;
    }
    if (session.interrupted) {  // Ctrl-C: the line is dropped.
      session.interrupted = false;
      continue;
    }
    std::string line(raw, count);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) {
      line.pop_back();
    }
    const std::vector<std::string> words = SplitWords(line);
    if (words.empty()) {
      continue;
    }
    // quit/exit are not kept: Up in the next session recalls real work.
    if (words.size() == 1 && (words[0] == "quit" || words[0] == "exit")) {
      break;
    }
    ::history(hist, &event, H_ENTER, std::string(absl::StripAsciiWhitespace(line)).c_str());
    if (!options_.history_path.empty()) {
      ::history(hist, &event, H_SAVE, options_.history_path.c_str());
    }
    table_.Execute(words, client_, printer);
    if (words.size() == 1 && words[0] == "help") {
      std::cout << "  quit | exit\n      Leave the shell (also Ctrl-D).\n";
    }
    std::cout.flush();
  }
  el_end(el);
  history_end(hist);
  if (signal_fd >= 0) {
    close(signal_fd);
  }
  exit_signal_ = session.exit_signal;
  return kExitOk;
}

}  // namespace vswitch::shell
