// SPDX-License-Identifier: Apache-2.0
#include "apps/vswitchd/dpdk_log.h"

#include <cstdio>
#include <string>

#include <rte_log.h>

#include <glog/logging.h>

namespace vswitch::app {
namespace {

ssize_t WriteToGlog(void*, const char* buf, size_t size) {
  std::string msg(buf, size);
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == '\r')) {
    msg.pop_back();
  }
  if (msg.empty()) {
    return static_cast<ssize_t>(size);
  }
  const int level = rte_log_cur_msg_loglevel();
  if (level <= static_cast<int>(RTE_LOG_ERR)) {
    LOG(ERROR) << "dpdk: " << msg;
  } else if (level == static_cast<int>(RTE_LOG_WARNING)) {
    LOG(WARNING) << "dpdk: " << msg;
  } else {
    LOG(INFO) << "dpdk: " << msg;
  }
  return static_cast<ssize_t>(size);
}

}  // namespace

void RouteDpdkLogToGlog() {
  cookie_io_functions_t io{.read = nullptr, .write = WriteToGlog, .seek = nullptr,
                           .close = nullptr};
  FILE* f = fopencookie(nullptr, "w", io);
  if (f != nullptr) {
    setvbuf(f, nullptr, _IOLBF, 0);  // One write per line.
    rte_openlog_stream(f);
  }
}

}  // namespace vswitch::app
