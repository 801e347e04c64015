// SPDX-License-Identifier: Apache-2.0
//
// Validation of configuration objects against the whole configuration. The
// same functions check an RPC's object (field prefix "vport.") and every
// object of a loaded config ("vports[2]."), so the rules live in one place.
// Thread: any (pure functions).
#pragma once

#include <string>

#include "absl/status/status.h"
#include "vswitch/api/vswitch.pb.h"

namespace vswitch::control {

// Name rules shared by VNets and vports: 1..32 of [A-Za-z0-9_.-].
absl::Status ValidateName(const std::string& field, const std::string& name);

// `vnet` is about to join `config` (which must not contain it yet).
// Codes: InvalidArgument, AlreadyExists (name, VNI), NotFound (peer).
absl::Status ValidateVNet(const v1::VNet& vnet, const v1::Config& config,
                          const std::string& prefix);

// `vport` (kind already normalised) is about to join `config`. With
// check_host the driver spec is also checked against the host (interface
// exists/free). Codes: InvalidArgument, AlreadyExists, NotFound,
// FailedPrecondition (second uplink).
absl::Status ValidateVPort(const v1::VPort& vport, const v1::Config& config,
                           const std::string& prefix, bool check_host);

// A static FDB entry about to join `config`.
absl::Status ValidateFdbEntry(const v1::FdbEntry& entry, const v1::Config& config,
                              const std::string& prefix);

// The file name of a pcapng destination (a name inside --capture_dir: no
// '/', no NUL, not "." or "..", 1..255 bytes). InvalidArgument naming `field`.
absl::Status ValidatePcapngFileName(const std::string& field, const std::string& file);

// A mirror destination about to join `config`. Codes: InvalidArgument,
// AlreadyExists, NotFound (VNet), ResourceExhausted (too many).
absl::Status ValidateDestination(const v1::MirrorDestination& dest, const v1::Config& config,
                                 const std::string& prefix);

// A TAP session about to join `config` (without a session of its name).
// Codes: InvalidArgument, AlreadyExists, NotFound (vport, destination),
// PermissionDenied (source and destination of different tenants),
// FailedPrecondition (source VNet neither the destination's nor peered),
// ResourceExhausted (too many sessions).
absl::Status ValidateTapSession(const v1::TapSession& session, const v1::Config& config,
                                const std::string& prefix);

// A static neighbor (next-hop MAC override).
absl::Status ValidateNeighbor(const v1::Neighbor& neighbor, const v1::Config& config,
                              const std::string& prefix);

// A remote port about to join `config` (which must not hold its (VNet, MAC)).
// Codes: InvalidArgument (also a `vtep` equal to the uplink's own IP: a
// host does not tunnel to itself), NotFound (VNet), AlreadyExists (MAC or
// an IP already used in the VNet by a vport, a static FDB entry or another
// remote port), ResourceExhausted (a 4097th distinct VTEP).
absl::Status ValidateRemotePort(const v1::RemotePort& port, const v1::Config& config,
                                const std::string& prefix);

// `ports` about to join `base` (its VNets, vports, FDB and remote ports),
// each also against those before it; errors name "`field`[i].". Linear in
// the number of ports (indexes, not pairwise checks).
absl::Status ValidateRemotePorts(const google::protobuf::RepeatedPtrField<v1::RemotePort>& ports,
                                 const v1::Config& base, const std::string& field);

// The whole configuration, each object against those before it. Used for
// loaded files and as the final check of every change.
absl::Status ValidateConfig(const v1::Config& config);

}  // namespace vswitch::control
