// SPDX-License-Identifier: Apache-2.0
// Version, health, stats.
#include <rte_version.h>

#include "lib/status/grpc_status.h"
#include "vswitch/rpc/vswitch_service.h"

namespace vswitch::rpc {

grpc::Status VSwitchService::GetVersion(grpc::ServerContext*, const v1::GetVersionRequest*,
                                        v1::GetVersionResponse* resp) {
  resp->set_version(VSWITCH_VERSION);
  resp->set_dpdk_version(rte_version());
  return grpc::Status::OK;
}

grpc::Status VSwitchService::GetHealth(grpc::ServerContext*, const v1::GetHealthRequest*,
                                       v1::GetHealthResponse* resp) {
  resp->set_serving(true);
  resp->set_forwarding_lcores(forwarding_lcores_);
  resp->set_snapshot_generation(store_->generation());
  resp->set_uptime_seconds(static_cast<uint64_t>(absl::ToInt64Seconds(absl::Now() - started_)));
  const control::ConfigPersister::Counters persisted = store_->persist_counters();
  resp->set_config_writes(persisted.writes);
  resp->set_config_changes_written(persisted.changes);
  return grpc::Status::OK;
}

grpc::Status VSwitchService::GetStats(grpc::ServerContext*, const v1::GetStatsRequest*,
                                      v1::Stats* resp) {
  *resp = store_->GetStats();
  return grpc::Status::OK;
}

grpc::Status VSwitchService::ClearStats(grpc::ServerContext*, const v1::ClearStatsRequest*,
                                        v1::ClearStatsResponse*) {
  store_->ClearStats();
  return grpc::Status::OK;
}

}  // namespace vswitch::rpc
