// SPDX-License-Identifier: Apache-2.0
//
// Compiles TAP sessions' filter rules into rte_acl contexts: up to 16
// sessions per context, one category each; within a category the rule with
// the lowest API priority wins (rte_acl picks the highest acl priority).
// Thread: control side.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <rte_acl.h>

#include "absl/status/statusor.h"
#include "vswitch/api/vswitch.pb.h"

namespace vswitch::control {

// Builds contexts for `sessions` (in order). `name_prefix` makes context
// names unique per snapshot. session_ctx[i] / session_category[i] say which
// context and category decide session i (-1: no rules, it matches all).
// The caller owns every context appended to `contexts` (rte_acl_free), also
// when an error is returned. Codes: ResourceExhausted, InvalidArgument.
absl::Status CompileTapFilters(const std::vector<const v1::TapSession*>& sessions,
                               const std::string& name_prefix,
                               std::vector<rte_acl_ctx*>* contexts, std::vector<int>* session_ctx,
                               std::vector<int>* session_category);

}  // namespace vswitch::control
