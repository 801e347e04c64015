// SPDX-License-Identifier: Apache-2.0
//
// gRPC service vswitch.v1.VSwitch: translation only. Each method calls one
// ConfigStore function and converts its Status (codes are equal numerically).
// Methods are defined per resource group (vnet_rpc.cc, vport_rpc.cc, ...).
// Thread: gRPC's threads; ConfigStore serialises.
#pragma once

#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "vswitch/api/vswitch.grpc.pb.h"
#include "vswitch/control/config_store.h"

namespace vswitch::rpc {

// Largest request the server accepts (gRPC refuses bigger ones with
// RESOURCE_EXHAUSTED before parsing). A ReplaceRemotePorts or Config of
// 100k remote ports (P14) is about 6 MB.
inline constexpr int kMaxRequestBytes = 32 << 20;

class VSwitchService final : public v1::VSwitch::Service {
 public:
  VSwitchService(control::ConfigStore* store, uint32_t forwarding_lcores)
      : store_(store), forwarding_lcores_(forwarding_lcores), started_(absl::Now()) {}

  grpc::Status GetVersion(grpc::ServerContext*, const v1::GetVersionRequest*,
                          v1::GetVersionResponse*) override;
  grpc::Status GetHealth(grpc::ServerContext*, const v1::GetHealthRequest*,
                         v1::GetHealthResponse*) override;

  grpc::Status CreateVNet(grpc::ServerContext*, const v1::CreateVNetRequest*, v1::VNet*) override;
  grpc::Status DeleteVNet(grpc::ServerContext*, const v1::DeleteVNetRequest*,
                          v1::DeleteVNetResponse*) override;
  grpc::Status ListVNets(grpc::ServerContext*, const v1::ListVNetsRequest*,
                         v1::ListVNetsResponse*) override;
  grpc::Status PeerVNets(grpc::ServerContext*, const v1::PeerVNetsRequest*,
                         v1::PeerVNetsResponse*) override;
  grpc::Status UnpeerVNets(grpc::ServerContext*, const v1::PeerVNetsRequest*,
                           v1::PeerVNetsResponse*) override;

  grpc::Status AddVPort(grpc::ServerContext*, const v1::AddVPortRequest*, v1::VPort*) override;
  grpc::Status RemoveVPort(grpc::ServerContext*, const v1::RemoveVPortRequest*,
                           v1::RemoveVPortResponse*) override;
  grpc::Status ListVPorts(grpc::ServerContext*, const v1::ListVPortsRequest*,
                          v1::ListVPortsResponse*) override;
  grpc::Status SetVPortAdminState(grpc::ServerContext*, const v1::SetVPortAdminStateRequest*,
                                  v1::VPort*) override;

  grpc::Status AddFdbEntry(grpc::ServerContext*, const v1::AddFdbEntryRequest*,
                           v1::FdbEntry*) override;
  grpc::Status RemoveFdbEntry(grpc::ServerContext*, const v1::RemoveFdbEntryRequest*,
                              v1::RemoveFdbEntryResponse*) override;
  grpc::Status ListFdb(grpc::ServerContext*, const v1::ListFdbRequest*,
                       v1::ListFdbResponse*) override;
  grpc::Status FlushFdb(grpc::ServerContext*, const v1::FlushFdbRequest*,
                        v1::FlushFdbResponse*) override;

  grpc::Status CreateMirrorDestination(grpc::ServerContext*,
                                       const v1::CreateMirrorDestinationRequest*,
                                       v1::MirrorDestination*) override;
  grpc::Status DeleteMirrorDestination(grpc::ServerContext*,
                                       const v1::DeleteMirrorDestinationRequest*,
                                       v1::DeleteMirrorDestinationResponse*) override;
  grpc::Status ListMirrorDestinations(grpc::ServerContext*,
                                      const v1::ListMirrorDestinationsRequest*,
                                      v1::ListMirrorDestinationsResponse*) override;
  grpc::Status CreateTapSession(grpc::ServerContext*, const v1::CreateTapSessionRequest*,
                                v1::TapSession*) override;
  grpc::Status UpdateTapSession(grpc::ServerContext*, const v1::UpdateTapSessionRequest*,
                                v1::TapSession*) override;
  grpc::Status DeleteTapSession(grpc::ServerContext*, const v1::DeleteTapSessionRequest*,
                                v1::DeleteTapSessionResponse*) override;
  grpc::Status ListTapSessions(grpc::ServerContext*, const v1::ListTapSessionsRequest*,
                               v1::ListTapSessionsResponse*) override;
  grpc::Status SetNeighbor(grpc::ServerContext*, const v1::SetNeighborRequest*,
                           v1::Neighbor*) override;
  grpc::Status DeleteNeighbor(grpc::ServerContext*, const v1::DeleteNeighborRequest*,
                              v1::DeleteNeighborResponse*) override;
  grpc::Status ListNeighbors(grpc::ServerContext*, const v1::ListNeighborsRequest*,
                             v1::ListNeighborsResponse*) override;

  grpc::Status AddRemotePort(grpc::ServerContext*, const v1::AddRemotePortRequest*,
                             v1::RemotePort*) override;
  grpc::Status RemoveRemotePort(grpc::ServerContext*, const v1::RemoveRemotePortRequest*,
                                v1::RemoveRemotePortResponse*) override;
  grpc::Status ListRemotePorts(grpc::ServerContext*, const v1::ListRemotePortsRequest*,
                               v1::ListRemotePortsResponse*) override;
  grpc::Status ReplaceRemotePorts(grpc::ServerContext*, const v1::ReplaceRemotePortsRequest*,
                                  v1::ReplaceRemotePortsResponse*) override;

  grpc::Status GetConfig(grpc::ServerContext*, const v1::GetConfigRequest*, v1::Config*) override;
  grpc::Status ApplyConfig(grpc::ServerContext*, const v1::ApplyConfigRequest*,
                           v1::ApplyConfigResponse*) override;

  grpc::Status GetStats(grpc::ServerContext*, const v1::GetStatsRequest*, v1::Stats*) override;
  grpc::Status ClearStats(grpc::ServerContext*, const v1::ClearStatsRequest*,
                          v1::ClearStatsResponse*) override;

  grpc::Status SetControllerStatus(grpc::ServerContext*, const v1::SetControllerStatusRequest*,
                                   v1::SetControllerStatusResponse*) override;

 private:
  control::ConfigStore* store_;
  uint32_t forwarding_lcores_;
  absl::Time started_;
  // The controller's last report: shown by GetHealth, never acted on (the
  // dataplane runs what was applied, whatever the controller's state).
  absl::Mutex controller_mu_;
  v1::ControllerStatus controller_ ABSL_GUARDED_BY(controller_mu_);
  absl::Time controller_at_ ABSL_GUARDED_BY(controller_mu_) = absl::InfinitePast();
};

}  // namespace vswitch::rpc
