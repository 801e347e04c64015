// SPDX-License-Identifier: Apache-2.0
#include "vswitch/dataplane/tap_filter.h"

#include <cstddef>

#include "vswitch/dataplane/tx_batch.h"

namespace vswitch::dataplane {

void GetAclFieldDefs(rte_acl_field_def defs[kNumAclFields]) {
  defs[kAclFieldProto] = {.type = RTE_ACL_FIELD_TYPE_BITMASK, .size = 1,
                          .field_index = kAclFieldProto, .input_index = 0,
                          .offset = offsetof(AclInput, proto)};
  defs[kAclFieldMeta] = {.type = RTE_ACL_FIELD_TYPE_BITMASK, .size = 4,
                         .field_index = kAclFieldMeta, .input_index = 1,
                         .offset = offsetof(AclInput, meta)};
  defs[kAclFieldSrc] = {.type = RTE_ACL_FIELD_TYPE_MASK, .size = 4,
                        .field_index = kAclFieldSrc, .input_index = 2,
                        .offset = offsetof(AclInput, src_ip)};
  defs[kAclFieldDst] = {.type = RTE_ACL_FIELD_TYPE_MASK, .size = 4,
                        .field_index = kAclFieldDst, .input_index = 3,
                        .offset = offsetof(AclInput, dst_ip)};
  defs[kAclFieldSport] = {.type = RTE_ACL_FIELD_TYPE_RANGE, .size = 2,
                          .field_index = kAclFieldSport, .input_index = 4,
                          .offset = offsetof(AclInput, src_port)};
  defs[kAclFieldDport] = {.type = RTE_ACL_FIELD_TYPE_RANGE, .size = 2,
                          .field_index = kAclFieldDport, .input_index = 4,
                          .offset = offsetof(AclInput, dst_port)};
}

void GetAcl6FieldDefs(rte_acl_field_def defs[kNumAcl6Fields]) {
  defs[kAcl6FieldProto] = {.type = RTE_ACL_FIELD_TYPE_BITMASK, .size = 1,
                           .field_index = kAcl6FieldProto, .input_index = 0,
                           .offset = offsetof(AclInput6, proto)};
  defs[kAcl6FieldMeta] = {.type = RTE_ACL_FIELD_TYPE_BITMASK, .size = 4,
                          .field_index = kAcl6FieldMeta, .input_index = 1,
                          .offset = offsetof(AclInput6, meta)};
  for (uint8_t w = 0; w < 4; ++w) {
    defs[kAcl6FieldSrc0 + w] = {.type = RTE_ACL_FIELD_TYPE_MASK, .size = 4,
                                .field_index = static_cast<uint8_t>(kAcl6FieldSrc0 + w),
                                .input_index = static_cast<uint8_t>(2 + w),
                                .offset = static_cast<uint32_t>(offsetof(AclInput6, src) + 4 * w)};
    defs[kAcl6FieldDst0 + w] = {.type = RTE_ACL_FIELD_TYPE_MASK, .size = 4,
                                .field_index = static_cast<uint8_t>(kAcl6FieldDst0 + w),
                                .input_index = static_cast<uint8_t>(6 + w),
                                .offset = static_cast<uint32_t>(offsetof(AclInput6, dst) + 4 * w)};
  }
  defs[kAcl6FieldSport] = {.type = RTE_ACL_FIELD_TYPE_RANGE, .size = 2,
                           .field_index = kAcl6FieldSport, .input_index = 10,
                           .offset = offsetof(AclInput6, src_port)};
  defs[kAcl6FieldDport] = {.type = RTE_ACL_FIELD_TYPE_RANGE, .size = 2,
                           .field_index = kAcl6FieldDport, .input_index = 10,
                           .offset = offsetof(AclInput6, dst_port)};
}

namespace {

// Hot path (misses only). Classifies inputs[0..2n) (2i: key idx[i] as a TX
// copy, 2i+1 as an RX copy) in context `c` of one family and ORs into
// tx_out/rx_out the sessions of that context that accept.
void ClassifyFamily(const Snapshot& snap, rte_acl_ctx* ctx, uint8_t c, const uint8_t** data,
                    const uint16_t* idx, uint16_t n, uint32_t ruled, uint32_t tx_candidates,
                    uint32_t rx_candidates, uint32_t* tx_out, uint32_t* rx_out) {
  if (ctx == nullptr || n == 0) {
    return;  // No rule of this family in the context: none of its sessions accepts.
  }
  uint32_t results[2 * kMaxBurst * kAclCategories];
  rte_acl_classify(ctx, data, results, 2u * n, kAclCategories);
  for (uint32_t bits = ruled; bits != 0; bits &= bits - 1) {
    const int s = __builtin_ctz(bits);
    const SessionInfo& si = snap.sessions[s];
    if (si.acl_ctx != c) {
      continue;
    }
    const uint32_t bit = 1u << s;
    for (uint16_t i = 0; i < n; ++i) {
      if ((tx_candidates & bit) &&
          results[(2 * i) * kAclCategories + si.acl_category] == kAclAccept) {
        tx_out[idx[i]] |= bit;
      }
      if ((rx_candidates & bit) &&
          results[(2 * i + 1) * kAclCategories + si.acl_category] == kAclAccept) {
        rx_out[idx[i]] |= bit;
      }
    }
  }
}

}  // namespace

// Hot path (misses only).
void MatchTapSessions(const Snapshot& snap, const PacketKey* const* keys,
                      const Ipv6Addrs* const* addrs, uint16_t n, uint32_t tx_candidates,
                      uint32_t* tx_out, uint32_t* rx_out) {
  const uint32_t rx_candidates = snap.rx_sessions;
  for (uint16_t i = 0; i < n; ++i) {
    tx_out[i] = tx_candidates & ~snap.rules_sessions;
    rx_out[i] = rx_candidates & ~snap.rules_sessions;
  }
  const uint32_t ruled = (tx_candidates | rx_candidates) & snap.rules_sessions;
  if (ruled == 0) {
    return;
  }
  // Two inputs per key, split by family.
  AclInput in4[2 * kMaxBurst];
  AclInput6 in6[2 * kMaxBurst];
  const uint8_t* data4[2 * kMaxBurst];
  const uint8_t* data6[2 * kMaxBurst];
  uint16_t idx4[kMaxBurst];
  uint16_t idx6[kMaxBurst];
  uint16_t n4 = 0;
  uint16_t n6 = 0;
  for (uint16_t i = 0; i < n; ++i) {
    if ((keys[i]->flags & kKeyIpv6) != 0) {
      FillAclInput6(*keys[i], *addrs[i], kAclDirFromVm, &in6[2 * n6]);
      FillAclInput6(*keys[i], *addrs[i], kAclDirToVm, &in6[2 * n6 + 1]);
      data6[2 * n6] = reinterpret_cast<const uint8_t*>(&in6[2 * n6]);
      data6[2 * n6 + 1] = reinterpret_cast<const uint8_t*>(&in6[2 * n6 + 1]);
      idx6[n6++] = i;
    } else {
      FillAclInput(*keys[i], kAclDirFromVm, &in4[2 * n4]);
      FillAclInput(*keys[i], kAclDirToVm, &in4[2 * n4 + 1]);
      data4[2 * n4] = reinterpret_cast<const uint8_t*>(&in4[2 * n4]);
      data4[2 * n4 + 1] = reinterpret_cast<const uint8_t*>(&in4[2 * n4 + 1]);
      idx4[n4++] = i;
    }
  }
  for (uint8_t c = 0; c < snap.n_acl; ++c) {
    ClassifyFamily(snap, snap.acl[c], c, data4, idx4, n4, ruled, tx_candidates, rx_candidates,
                   tx_out, rx_out);
    ClassifyFamily(snap, snap.acl6[c], c, data6, idx6, n6, ruled, tx_candidates, rx_candidates,
                   tx_out, rx_out);
  }
}

}  // namespace vswitch::dataplane
