// SPDX-License-Identifier: Apache-2.0
//
// Status propagation macros. Debian's Abseil (20220623) ships none.
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define VS_STATUS_CONCAT_INNER(a, b) a##b
#define VS_STATUS_CONCAT(a, b) VS_STATUS_CONCAT_INNER(a, b)

// Returns the status of `expr` from the enclosing function when it is not OK.
#define VS_RETURN_IF_ERROR(expr)                      \
  do {                                                \
    ::absl::Status vs_status_ = (expr);               \
    if (!vs_status_.ok()) {                           \
      return vs_status_;                              \
    }                                                 \
  } while (0)

// `lhs` = value of the StatusOr `rexpr`, or returns its error.
#define VS_ASSIGN_OR_RETURN(lhs, rexpr) \
  VS_ASSIGN_OR_RETURN_IMPL(VS_STATUS_CONCAT(vs_statusor_, __LINE__), lhs, rexpr)

#define VS_ASSIGN_OR_RETURN_IMPL(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                             \
  if (!statusor.ok()) {                                \
    return std::move(statusor).status();               \
  }                                                    \
  lhs = std::move(statusor).value()
