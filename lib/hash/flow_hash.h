// SPDX-License-Identifier: Apache-2.0
//
// Flow hashes. Hot path: header-only, no allocation.
#pragma once

#include <cstdint>

#include <rte_hash_crc.h>

namespace vswitch::hash {

// Symmetric hash of an IPv4 5-tuple: a->b and b->a give the same value, so
// both directions of a flow pick the same collector and UDP source port.
// Addresses and ports in any byte order, as long as both calls use the same.
inline uint32_t SymmetricFlowHash(uint32_t src_ip, uint32_t dst_ip, uint16_t src_port,
                                  uint16_t dst_port, uint8_t proto) {
  uint32_t ip_lo = src_ip < dst_ip ? src_ip : dst_ip;
  uint32_t ip_hi = src_ip < dst_ip ? dst_ip : src_ip;
  uint16_t port_lo = src_port < dst_port ? src_port : dst_port;
  uint16_t port_hi = src_port < dst_port ? dst_port : src_port;
  uint32_t h = rte_hash_crc_4byte(ip_lo, 0x9e3779b9u ^ proto);
  h = rte_hash_crc_4byte(ip_hi, h);
  return rte_hash_crc_4byte((uint32_t{port_lo} << 16) | port_hi, h);
}

}  // namespace vswitch::hash
