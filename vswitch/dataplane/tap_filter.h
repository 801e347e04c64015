// SPDX-License-Identifier: Apache-2.0
//
// TAP filter classification with rte_acl. Each rte_acl context holds the
// rules of up to 16 sessions, one category per session, so one classify
// call decides every session of the context for a packet and direction.
// Each group of sessions has two contexts: IPv6 frames are classified in
// one with 128-bit addresses, every other frame in one with IPv4's, so
// IPv4 classification costs what it did before IPv6 (as DPDK's l3fwd-acl).
// The control side compiles the contexts (control/tap_filter_compiler);
// this header holds the input layout both sides share, and the hot-path
// matcher.
#pragma once

#include <cstdint>
#include <cstring>

#include <rte_acl.h>
#include <rte_byteorder.h>

#include "vswitch/dataplane/packet_key.h"
#include "vswitch/dataplane/snapshot.h"

namespace vswitch::dataplane {

// rte_acl input. rte_acl reads the first field's single byte, then whole
// 4-byte words: so the first word holds only `proto`, and every other field
// sits in a word of its own (ports share one). Values in network byte order.
struct AclInput {
  uint8_t proto;
  uint8_t pad[3];
  uint32_t meta;  // kAclDir* | kAclIpv4, big-endian.
  uint32_t src_ip;
  uint32_t dst_ip;
  uint16_t src_port;
  uint16_t dst_port;
};
static_assert(sizeof(AclInput) == 20);

// `meta` bits: the copy's direction, and whether the frame is IPv4 (rules
// with a protocol, CIDR or port condition require it, so a non-IP frame's
// zero fields never match "0.0.0.0/32").
inline constexpr uint32_t kAclIpv4 = 0x100;
inline constexpr uint8_t kAclDirFromVm = 1;
inline constexpr uint8_t kAclDirToVm = 2;

enum AclField : uint8_t {
  kAclFieldProto,
  kAclFieldMeta,
  kAclFieldSrc,
  kAclFieldDst,
  kAclFieldSport,
  kAclFieldDport,
  kNumAclFields
};

RTE_ACL_RULE_DEF(AclRule, kNumAclFields);

// Rule userdata: what the best matching rule of a category says. 0 = none.
inline constexpr uint32_t kAclAccept = 1;
inline constexpr uint32_t kAclReject = 2;

// Field layout for rte_acl_build.
void GetAclFieldDefs(rte_acl_field_def defs[kNumAclFields]);

// The IPv6 context's input: addresses as four 4-byte words each, the
// layout DPDK's own IPv6 ACL examples use. Only IPv6 frames get here, so
// `meta` holds the direction alone.
struct AclInput6 {
  uint8_t proto;
  uint8_t pad[3];
  uint32_t meta;
  uint8_t src[16];
  uint8_t dst[16];
  uint16_t src_port;
  uint16_t dst_port;
};
static_assert(sizeof(AclInput6) == 44);

enum Acl6Field : uint8_t {
  kAcl6FieldProto,
  kAcl6FieldMeta,
  kAcl6FieldSrc0,  // ..kAcl6FieldSrc0 + 3
  kAcl6FieldDst0 = kAcl6FieldSrc0 + 4,
  kAcl6FieldSport = kAcl6FieldDst0 + 4,
  kAcl6FieldDport,
  kNumAcl6Fields
};

RTE_ACL_RULE_DEF(AclRule6, kNumAcl6Fields);

void GetAcl6FieldDefs(rte_acl_field_def defs[kNumAcl6Fields]);

inline void FillAclInput6(const PacketKey& k, const Ipv6Addrs& a, uint8_t dir, AclInput6* in) {
  in->proto = k.proto;
  in->pad[0] = in->pad[1] = in->pad[2] = 0;
  in->meta = rte_cpu_to_be_32(dir);
  std::memcpy(in->src, a.src, 16);
  std::memcpy(in->dst, a.dst, 16);
  in->src_port = k.src_port;
  in->dst_port = k.dst_port;
}

inline void FillAclInput(const PacketKey& k, uint8_t dir, AclInput* in) {
  in->proto = k.proto;
  in->pad[0] = in->pad[1] = in->pad[2] = 0;
  in->meta = rte_cpu_to_be_32(dir | ((k.flags & kKeyIpv4) != 0 ? kAclIpv4 : 0));
  in->src_ip = k.src_ip;
  in->dst_ip = k.dst_ip;
  in->src_port = k.src_port;
  in->dst_port = k.dst_port;
}

// Hot path (flow-cache misses only). For each key, the sessions among
// `tx_candidates` that take a TX copy and the sessions among snap.rx_sessions
// whose filters accept it as an RX copy. Sessions without rules accept all.
// addrs[i] is read only if keys[i] has kKeyIpv6.
void MatchTapSessions(const Snapshot& snap, const PacketKey* const* keys,
                      const Ipv6Addrs* const* addrs, uint16_t n, uint32_t tx_candidates,
                      uint32_t* tx_out, uint32_t* rx_out);

}  // namespace vswitch::dataplane
