// SPDX-License-Identifier: Apache-2.0
#include "vswitch/fleet/keyspace.h"

#include <cstdint>

#include <charconv>
#include "vswitch/control/validator.h"

namespace vswitch::fleet {
namespace {

// std::string_view throughout: Debian's Abseil has its own string_view.
bool ConsumePrefix(std::string_view* s, std::string_view prefix) {
  if (!s->starts_with(prefix)) return false;
  s->remove_prefix(prefix.size());
  return true;
}

bool ConsumeSuffix(std::string_view* s, std::string_view suffix) {
  if (!s->ends_with(suffix)) return false;
  s->remove_suffix(suffix.size());
  return true;
}

template <typename... Parts>
std::string Cat(const Parts&... parts) {
  std::string out;
  (out.append(parts), ...);
  return out;
}

bool ValidName(std::string_view name) {
  return control::ValidateName("key", std::string(name)).ok();
}

// 1..2^24-1, decimal, no sign or leading zero: one spelling per VNI, so
// that the claim key of a VNI is unique.
bool ValidVni(std::string_view s) {
  uint32_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return !s.empty() && s[0] != '0' && ec == std::errc() && end == s.data() + s.size() &&
         v >= 1 && v < (1u << 24);
}

}  // namespace

ParsedKey ParseKey(std::string_view key) {
  ParsedKey out;
  if (ConsumePrefix(&key, kStatusRoot)) {
    if (ValidName(key)) {
      out = {KeyKind::kHostStatus, std::string(key)};
    }
    return out;
  }
  if (!ConsumePrefix(&key, kRoot)) {
    return out;
  }
  const size_t slash = key.find('/');
  if (slash == std::string_view::npos) {
    return out;
  }
  const std::string_view dir = key.substr(0, slash);
  std::string_view name = key.substr(slash + 1);
  if (dir == "hosts") {
    if (ConsumeSuffix(&name, "/vtep") && ValidName(name)) {
      out = {KeyKind::kHostVtep, std::string(name)};
    }
    return out;
  }
  if (dir == "vnis") {
    if (ValidVni(name)) {
      out = {KeyKind::kVni, std::string(name)};
    }
    return out;
  }
  if (dir == "peerings") {
    const size_t colon = name.find(':');
    if (colon != std::string_view::npos && ValidName(name.substr(0, colon)) &&
        ValidName(name.substr(colon + 1)) && name.substr(0, colon) < name.substr(colon + 1)) {
      out = {KeyKind::kPeering, std::string(name)};
    }
    return out;
  }
  if (!ValidName(name)) {
    return out;
  }
  KeyKind kind = KeyKind::kInvalid;
  if (dir == "tenants") kind = KeyKind::kTenant;
  if (dir == "vnets") kind = KeyKind::kVnet;
  if (dir == "vms") kind = KeyKind::kVm;
  if (dir == "destinations") kind = KeyKind::kDestination;
  if (dir == "taps") kind = KeyKind::kTap;
  if (kind != KeyKind::kInvalid) {
    out = {kind, std::string(name)};
  }
  return out;
}

std::string TenantKey(std::string_view tenant) { return Cat(kRoot, "tenants/", tenant); }
std::string VnetKey(std::string_view vnet) { return Cat(kRoot, "vnets/", vnet); }
std::string VniKey(uint32_t vni) { return Cat(kRoot, "vnis/", std::to_string(vni)); }
std::string VmKey(std::string_view vm) { return Cat(kRoot, "vms/", vm); }
std::string DestinationKey(std::string_view dest) {
  return Cat(kRoot, "destinations/", dest);
}
std::string TapKey(std::string_view session) { return Cat(kRoot, "taps/", session); }
std::string PeeringKey(std::string_view a, std::string_view b) {
  return a < b ? Cat(kRoot, "peerings/", a, ":", b)
               : Cat(kRoot, "peerings/", b, ":", a);
}
std::string HostVtepKey(std::string_view host) {
  return Cat(kRoot, "hosts/", host, "/vtep");
}
std::string HostStatusKey(std::string_view host) { return Cat(kStatusRoot, host); }
std::string HostPrefix(std::string_view host) { return Cat(kRoot, "hosts/", host, "/"); }

}  // namespace vswitch::fleet
