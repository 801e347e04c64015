// SPDX-License-Identifier: Apache-2.0
// Version, health, stats.
#include <rte_version.h>

#include <algorithm>
#include <iterator>
#include <string_view>

#include "absl/strings/str_cat.h"

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
  absl::MutexLock lock(&controller_mu_);
  if (controller_at_ != absl::InfinitePast()) {
    *resp->mutable_controller() = controller_;
    resp->mutable_controller()->set_age_seconds(
        static_cast<uint64_t>(absl::ToInt64Seconds(absl::Now() - controller_at_)));
  }
  return grpc::Status::OK;
}

grpc::Status VSwitchService::SetControllerStatus(grpc::ServerContext*,
                                                 const v1::SetControllerStatusRequest* req,
                                                 v1::SetControllerStatusResponse*) {
  // Bounded so that a report cannot grow `show health` without limit.
  const v1::ControllerStatus& s = req->status();
  static constexpr std::string_view kStates[] = {"converged", "applying", "error",
                                                 "disconnected"};
  if (s.name().empty() || s.name().size() > 64) {
    return {grpc::StatusCode::INVALID_ARGUMENT, "status.name: must be 1..64 bytes"};
  }
  if (std::find(std::begin(kStates), std::end(kStates), s.state()) == std::end(kStates)) {
    return {grpc::StatusCode::INVALID_ARGUMENT,
            absl::StrCat("status.state: \"", s.state().substr(0, 32),
                         "\" is not one of converged, applying, error, disconnected")};
  }
  if (s.message().size() > 4096) {
    return {grpc::StatusCode::INVALID_ARGUMENT, "status.message: longer than 4096 bytes"};
  }
  if (s.applied_revision() < 0) {
    return {grpc::StatusCode::INVALID_ARGUMENT, "status.applied_revision: negative"};
  }
  absl::MutexLock lock(&controller_mu_);
  controller_ = s;
  controller_.clear_age_seconds();
  controller_at_ = absl::Now();
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
