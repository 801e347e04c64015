// SPDX-License-Identifier: Apache-2.0
//
// Compiles TAP sessions' filter rules into rte_acl contexts: up to 16
// sessions per group, one category each; within a category the rule with
// the lowest API priority wins (rte_acl picks the highest acl priority).
// Each group has an IPv4 and an IPv6 context: a rule with an IPv4 (IPv6)
// prefix goes into that family's only, a rule without a prefix into both.
// Thread: control side.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <rte_acl.h>

#include "absl/status/statusor.h"
#include "vswitch/api/vswitch.pb.h"

namespace vswitch::control {

// One group's contexts; either is null when no rule of the group can match
// that family (its sessions then accept no frame of it).
struct AclContexts {
  rte_acl_ctx* v4 = nullptr;
  rte_acl_ctx* v6 = nullptr;
};

// Builds contexts for `sessions` (in order). `name_prefix` makes context
// names unique per snapshot. session_ctx[i] / session_category[i] say which
// group and category decide session i (-1: no rules, it matches all).
// The caller owns every context appended to `contexts` (rte_acl_free), also
// when an error is returned. Codes: ResourceExhausted, InvalidArgument.
absl::Status CompileTapFilters(const std::vector<const v1::TapSession*>& sessions,
                               const std::string& name_prefix,
                               std::vector<AclContexts>* contexts, std::vector<int>* session_ctx,
                               std::vector<int>* session_category);

}  // namespace vswitch::control
