// SPDX-License-Identifier: Apache-2.0
//
// The fleet keyspace in etcd, versioned like the proto (doc/fleet.md).
#pragma once

#include <string>
#include <string_view>

namespace vswitch::fleet {

// What agents read and watch: the desired state and the hosts' VTEPs.
inline constexpr std::string_view kRoot = "/vswitch/v1/";
// The agents' reports (read by the fleet tool only).
inline constexpr std::string_view kStatusRoot = "/vswitch/status/v1/";

enum class KeyKind {
  kInvalid,
  kTenant,       // /vswitch/v1/tenants/T
  kVnet,         // /vswitch/v1/vnets/V
  kVni,          // /vswitch/v1/vnis/N  (decimal)
  kVm,           // /vswitch/v1/vms/VM
  kDestination,  // /vswitch/v1/destinations/D
  kTap,          // /vswitch/v1/taps/S
  kPeering,      // /vswitch/v1/peerings/A:B  (A < B)
  kHostVtep,     // /vswitch/v1/hosts/H/vtep
  kHostStatus,   // /vswitch/status/v1/H
};

struct ParsedKey {
  KeyKind kind = KeyKind::kInvalid;
  // The object's name; for hosts the host name; for peerings "A:B".
  std::string name;
};

// kInvalid for a key outside the keyspace or with a malformed last part.
ParsedKey ParseKey(std::string_view key);

std::string TenantKey(std::string_view tenant);
std::string VnetKey(std::string_view vnet);
std::string VniKey(uint32_t vni);
std::string VmKey(std::string_view vm);
std::string DestinationKey(std::string_view dest);
std::string TapKey(std::string_view session);
// Orders the pair.
std::string PeeringKey(std::string_view a, std::string_view b);
std::string HostVtepKey(std::string_view host);
std::string HostStatusKey(std::string_view host);  // under kStatusRoot
std::string HostPrefix(std::string_view host);  // /vswitch/v1/hosts/H/

}  // namespace vswitch::fleet
