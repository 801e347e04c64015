// SPDX-License-Identifier: Apache-2.0
//
// absl::Status -> grpc::Status. The canonical codes are numerically equal.
#pragma once

#include <string>

#include <grpcpp/support/status.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace vswitch {

inline grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) {
    return grpc::Status::OK;
  }
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      std::string(status.message()));
}

// Copies an OK result into the RPC response, or returns its error.
template <typename T>
grpc::Status ReplyWith(const absl::StatusOr<T>& r, T* resp) {
  if (!r.ok()) {
    return ToGrpcStatus(r.status());
  }
  *resp = *r;
  return grpc::Status::OK;
}

}  // namespace vswitch
