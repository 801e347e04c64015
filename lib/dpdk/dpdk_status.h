// SPDX-License-Identifier: Apache-2.0
//
// DPDK's negative-errno returns as absl::Status naming the call and object.
#pragma once

#include <string>
#include <string_view>

#include <rte_errno.h>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"

namespace vswitch::dpdk {

// `ret` is a DPDK return value (negative errno) or a positive errno.
inline absl::Status DpdkError(std::string_view what, int ret) {
  int err = ret < 0 ? -ret : ret;
  std::string msg = absl::StrFormat("%s: %s", what, rte_strerror(err));
  switch (err) {
    case ENOMEM:
    case ENOSPC:
      return absl::ResourceExhaustedError(msg);
    case EINVAL:
      return absl::InvalidArgumentError(msg);
    case ENODEV:
    case ENOENT:
      return absl::NotFoundError(msg);
    case EEXIST:
      return absl::AlreadyExistsError(msg);
    default:
      return absl::UnavailableError(msg);
  }
}

}  // namespace vswitch::dpdk
