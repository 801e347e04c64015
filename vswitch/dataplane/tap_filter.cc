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

// Hot path (misses only).
void MatchTapSessions(const Snapshot& snap, const PacketKey* const* keys, uint16_t n,
                      uint32_t tx_candidates, uint32_t* tx_out, uint32_t* rx_out) {
  const uint32_t rx_candidates = snap.rx_sessions;
  for (uint16_t i = 0; i < n; ++i) {
    tx_out[i] = tx_candidates & ~snap.rules_sessions;
    rx_out[i] = rx_candidates & ~snap.rules_sessions;
  }
  const uint32_t ruled = (tx_candidates | rx_candidates) & snap.rules_sessions;
  if (ruled == 0) {
    return;
  }
  // Two inputs per key: index 2i as a TX copy, 2i+1 as an RX copy.
  AclInput inputs[2 * kMaxBurst];
  const uint8_t* data[2 * kMaxBurst];
  uint32_t results[2 * kMaxBurst * kAclCategories];
  for (uint16_t i = 0; i < n; ++i) {
    FillAclInput(*keys[i], kAclDirFromVm, &inputs[2 * i]);
    FillAclInput(*keys[i], kAclDirToVm, &inputs[2 * i + 1]);
    data[2 * i] = reinterpret_cast<const uint8_t*>(&inputs[2 * i]);
    data[2 * i + 1] = reinterpret_cast<const uint8_t*>(&inputs[2 * i + 1]);
  }
  for (uint8_t c = 0; c < snap.n_acl; ++c) {
    rte_acl_classify(snap.acl[c], data, results, 2u * n, kAclCategories);
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
          tx_out[i] |= bit;
        }
        if ((rx_candidates & bit) &&
            results[(2 * i + 1) * kAclCategories + si.acl_category] == kAclAccept) {
          rx_out[i] |= bit;
        }
      }
    }
  }
}

}  // namespace vswitch::dataplane
