// SPDX-License-Identifier: Apache-2.0
#include "vswitch/control/tap_filter_compiler.h"

#include <algorithm>

#include <rte_byteorder.h>
#include <rte_errno.h>

#include "absl/strings/str_format.h"
#include "lib/dpdk/dpdk_status.h"
#include "lib/net/ipv4.h"
#include "lib/net/ipv6.h"
#include "vswitch/dataplane/snapshot.h"
#include "vswitch/dataplane/tap_filter.h"

namespace vswitch::control {
namespace {

using dataplane::AclRule;
using dataplane::AclRule6;
using dataplane::kAclCategories;

enum class Family { kAny, kIpv4, kIpv6 };

// Which family a (validated) rule can match: its prefixes say, if any.
Family FamilyOf(const v1::TapRule& rule) {
  for (const std::string* c : {&rule.src_cidr(), &rule.dst_cidr()}) {
    if (!c->empty()) {
      return net::LooksLikeIpv6(*c) ? Family::kIpv6 : Family::kIpv4;
    }
  }
  return Family::kAny;
}

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

// An IPv6 prefix over four 4-byte MASK fields: word w takes the prefix's
// bits 32w..32w+31, in host order as rte_acl wants rule values.
void SetCidr6(const std::string& text, rte_acl_field* words) {
  net::Ipv6Prefix p;
  if (!text.empty()) {
    p = *net::ParseIpv6Prefix(text);  // Validated before.
  }
  const net::Ipv6Address a = p.Masked();
  for (int w = 0; w < 4; ++w) {
    uint32_t be;
    std::memcpy(&be, a.data() + 4 * w, 4);
    words[w].value.u32 = rte_be_to_cpu_32(be);
    words[w].mask_range.u32 = static_cast<uint32_t>(std::clamp(p.len - 32 * w, 0, 32));
  }
}

bool AnyPorts(const v1::PortRange& r) { return r.first() == 0 && r.last() == 0; }

void SetPorts(const v1::PortRange& r, rte_acl_field* f) {
  const bool any = AnyPorts(r);
  f->value.u16 = any ? 0 : static_cast<uint16_t>(r.first());
  f->mask_range.u16 = any ? 0xffff : static_cast<uint16_t>(r.last());
}

// What both layouts share: category, priority, verdict, protocol, and the
// direction in `meta` (the IPv4 layout adds its IPv4 bit).
template <typename Rule>
void SetCommon(const v1::TapRule& rule, int category, Rule* r, uint32_t* meta,
               uint32_t* meta_mask) {
  r->data.category_mask = 1u << category;
  // API: lower priority first. rte_acl: higher priority wins.
  r->data.priority = RTE_ACL_MAX_PRIORITY - static_cast<int32_t>(rule.priority());
  r->data.userdata =
      rule.action() == v1::TAP_ACTION_REJECT ? dataplane::kAclReject : dataplane::kAclAccept;
  r->field[0].value.u8 = static_cast<uint8_t>(rule.protocol());
  r->field[0].mask_range.u8 = rule.protocol() == 0 ? 0 : 0xff;
  *meta = 0;
  *meta_mask = 0;
  if (rule.direction() == v1::TAP_DIRECTION_TX) {
    *meta = dataplane::kAclDirFromVm;
    *meta_mask = 0xff;
  } else if (rule.direction() == v1::TAP_DIRECTION_RX) {
    *meta = dataplane::kAclDirToVm;
    *meta_mask = 0xff;
  }
}

AclRule ToAclRule(const v1::TapRule& rule, int category) {
  AclRule r{};
  uint32_t meta;
  uint32_t meta_mask;
  SetCommon(rule, category, &r, &meta, &meta_mask);
  const bool ip_condition = rule.protocol() != 0 || !rule.src_cidr().empty() ||
                            !rule.dst_cidr().empty() || !AnyPorts(rule.src_ports()) ||
                            !AnyPorts(rule.dst_ports());
  if (ip_condition) {  // Only IPv4 frames can meet it in this context.
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

AclRule6 ToAclRule6(const v1::TapRule& rule, int category) {
  AclRule6 r{};
  uint32_t meta;
  uint32_t meta_mask;
  SetCommon(rule, category, &r, &meta, &meta_mask);
  r.field[dataplane::kAcl6FieldMeta].value.u32 = meta;
  r.field[dataplane::kAcl6FieldMeta].mask_range.u32 = meta_mask;
  SetCidr6(rule.src_cidr(), &r.field[dataplane::kAcl6FieldSrc0]);
  SetCidr6(rule.dst_cidr(), &r.field[dataplane::kAcl6FieldDst0]);
  SetPorts(rule.src_ports(), &r.field[dataplane::kAcl6FieldSport]);
  SetPorts(rule.dst_ports(), &r.field[dataplane::kAcl6FieldDport]);
  return r;
}

// Creates, fills and builds one context of `Rule`s; null when `rules` is
// empty (rte_acl cannot build an empty context). *out is set before any
// error, so the caller frees what was created.
template <typename Rule, int kFields>
absl::Status BuildContext(const std::string& name, const std::vector<Rule>& rules,
                          void (*get_defs)(rte_acl_field_def*), rte_acl_ctx** out) {
  *out = nullptr;
  if (rules.empty()) {
    return absl::OkStatus();
  }
  rte_acl_param param{};
  param.name = name.c_str();
  param.socket_id = SOCKET_ID_ANY;
  param.rule_size = RTE_ACL_RULE_SZ(kFields);
  param.max_rule_num = static_cast<uint32_t>(rules.size());
  *out = rte_acl_create(&param);
  if (*out == nullptr) {
    return dpdk::DpdkError("rte_acl_create(" + name + ")", rte_errno);
  }
  int ret = rte_acl_add_rules(*out, reinterpret_cast<const rte_acl_rule*>(rules.data()),
                              static_cast<uint32_t>(rules.size()));
  if (ret != 0) {
    return dpdk::DpdkError("rte_acl_add_rules(" + name + ")", ret);
  }
  rte_acl_config cfg{};
  cfg.num_categories = kAclCategories;
  cfg.num_fields = kFields;
  get_defs(cfg.defs);
  ret = rte_acl_build(*out, &cfg);
  if (ret != 0) {
    return dpdk::DpdkError("rte_acl_build(" + name + ")", ret);
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CompileTapFilters(const std::vector<const v1::TapSession*>& sessions,
                               const std::string& name_prefix,
                               std::vector<AclContexts>* contexts, std::vector<int>* session_ctx,
                               std::vector<int>* session_category) {
  session_ctx->assign(sessions.size(), -1);
  session_category->assign(sessions.size(), -1);
  // Group sessions with rules, 16 per group.
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
  for (size_t g = 0; g < groups.size(); ++g) {
    std::vector<AclRule> rules4;
    std::vector<AclRule6> rules6;
    for (size_t k = 0; k < groups[g].size(); ++k) {
      for (const auto& rule : sessions[groups[g][k]]->rules()) {
        const Family f = FamilyOf(rule);
        if (f != Family::kIpv6) {
          rules4.push_back(ToAclRule(rule, static_cast<int>(k)));
        }
        if (f != Family::kIpv4) {
          rules6.push_back(ToAclRule6(rule, static_cast<int>(k)));
        }
      }
    }
    AclContexts& ctx = contexts->emplace_back();
    absl::Status st = BuildContext<AclRule, dataplane::kNumAclFields>(
        absl::StrFormat("%s_%u", name_prefix, g), rules4, dataplane::GetAclFieldDefs, &ctx.v4);
    if (!st.ok()) {
      return st;
    }
    st = BuildContext<AclRule6, dataplane::kNumAcl6Fields>(
        absl::StrFormat("%s_%u6", name_prefix, g), rules6, dataplane::GetAcl6FieldDefs,
        &ctx.v6);
    if (!st.ok()) {
      return st;
    }
  }
  return absl::OkStatus();
}

}  // namespace vswitch::control
