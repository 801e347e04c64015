// SPDX-License-Identifier: Apache-2.0
#include "vswitch/control/tap_filter_compiler.h"

#include <rte_errno.h>

#include "absl/strings/str_format.h"
#include "lib/dpdk/dpdk_status.h"
#include "lib/net/ipv4.h"
#include "vswitch/dataplane/snapshot.h"
#include "vswitch/dataplane/tap_filter.h"

namespace vswitch::control {
namespace {

using dataplane::AclRule;
using dataplane::kAclCategories;

void SetCidr(const std::string& text, rte_acl_field* f) {
  if (text.empty()) {
    f->value.u32 = 0;
    f->mask_range.u32 = 0;
    return;
  }
  auto p = net::ParseIpv4Prefix(text);  // Validated before.
  f->value.u32 = p->addr & p->Mask();
  f->mask_range.u32 = p->len;
}

bool AnyPorts(const v1::PortRange& r) { return r.first() == 0 && r.last() == 0; }

void SetPorts(const v1::PortRange& r, rte_acl_field* f) {
  const bool any = AnyPorts(r);
  f->value.u16 = any ? 0 : static_cast<uint16_t>(r.first());
  f->mask_range.u16 = any ? 0xffff : static_cast<uint16_t>(r.last());
}

AclRule ToAclRule(const v1::TapRule& rule, int category) {
  AclRule r{};
  r.data.category_mask = 1u << category;
  // API: lower priority first. rte_acl: higher priority wins.
  r.data.priority = RTE_ACL_MAX_PRIORITY - static_cast<int32_t>(rule.priority());
  r.data.userdata =
      rule.action() == v1::TAP_ACTION_REJECT ? dataplane::kAclReject : dataplane::kAclAccept;
  r.field[dataplane::kAclFieldProto].value.u8 = static_cast<uint8_t>(rule.protocol());
  r.field[dataplane::kAclFieldProto].mask_range.u8 = rule.protocol() == 0 ? 0 : 0xff;
  uint32_t meta = 0;
  uint32_t meta_mask = 0;
  if (rule.direction() == v1::TAP_DIRECTION_TX) {
    meta = dataplane::kAclDirFromVm;
    meta_mask = 0xff;
  } else if (rule.direction() == v1::TAP_DIRECTION_RX) {
    meta = dataplane::kAclDirToVm;
    meta_mask = 0xff;
  }
  const bool ip_condition = rule.protocol() != 0 || !rule.src_cidr().empty() ||
                            !rule.dst_cidr().empty() || !AnyPorts(rule.src_ports()) ||
                            !AnyPorts(rule.dst_ports());
  if (ip_condition) {  // Only IPv4 frames can meet it.
    meta |= dataplane::kAclIpv4;
    meta_mask |= dataplane::kAclIpv4;
  }
  r.field[dataplane::kAclFieldMeta].value.u32 = meta;
  r.field[dataplane::kAclFieldMeta].mask_range.u32 = meta_mask;
  SetCidr(rule.src_cidr(), &r.field[dataplane::kAclFieldSrc]);
  SetCidr(rule.dst_cidr(), &r.field[dataplane::kAclFieldDst]);
  SetPorts(rule.src_ports(), &r.field[dataplane::kAclFieldSport]);
  SetPorts(rule.dst_ports(), &r.field[dataplane::kAclFieldDport]);
  return r;
}

}  // namespace

absl::Status CompileTapFilters(const std::vector<const v1::TapSession*>& sessions,
                               const std::string& name_prefix,
                               std::vector<rte_acl_ctx*>* contexts, std::vector<int>* session_ctx,
                               std::vector<int>* session_category) {
  session_ctx->assign(sessions.size(), -1);
  session_category->assign(sessions.size(), -1);
  // Group sessions with rules, 16 per context.
  std::vector<std::vector<size_t>> groups;
  for (size_t i = 0; i < sessions.size(); ++i) {
    if (sessions[i]->rules_size() == 0) {
      continue;
    }
    if (groups.empty() || groups.back().size() == static_cast<size_t>(kAclCategories)) {
      groups.emplace_back();
    }
    (*session_ctx)[i] = static_cast<int>(groups.size() - 1);
    (*session_category)[i] = static_cast<int>(groups.back().size());
    groups.back().push_back(i);
  }
  rte_acl_field_def defs[dataplane::kNumAclFields];
  dataplane::GetAclFieldDefs(defs);
  for (size_t g = 0; g < groups.size(); ++g) {
    const std::string name = absl::StrFormat("%s_%u", name_prefix, g);
    uint32_t n_rules = 0;
    for (size_t i : groups[g]) {
      n_rules += sessions[i]->rules_size();
    }
    rte_acl_param param{};
    param.name = name.c_str();
    param.socket_id = SOCKET_ID_ANY;
    param.rule_size = RTE_ACL_RULE_SZ(dataplane::kNumAclFields);
    param.max_rule_num = n_rules;
    rte_acl_ctx* ctx = rte_acl_create(&param);
    if (ctx == nullptr) {
      return dpdk::DpdkError("rte_acl_create(" + name + ")", rte_errno);
    }
    contexts->push_back(ctx);
    std::vector<AclRule> rules;
    for (size_t k = 0; k < groups[g].size(); ++k) {
      for (const auto& rule : sessions[groups[g][k]]->rules()) {
        rules.push_back(ToAclRule(rule, static_cast<int>(k)));
      }
    }
    int ret = rte_acl_add_rules(ctx, reinterpret_cast<const rte_acl_rule*>(rules.data()),
                                static_cast<uint32_t>(rules.size()));
    if (ret != 0) {
      return dpdk::DpdkError("rte_acl_add_rules(" + name + ")", ret);
    }
    rte_acl_config cfg{};
    cfg.num_categories = kAclCategories;
    cfg.num_fields = dataplane::kNumAclFields;
    std::copy(defs, defs + dataplane::kNumAclFields, cfg.defs);
    ret = rte_acl_build(ctx, &cfg);
    if (ret != 0) {
      return dpdk::DpdkError("rte_acl_build(" + name + ")", ret);
    }
  }
  return absl::OkStatus();
}

}  // namespace vswitch::control
