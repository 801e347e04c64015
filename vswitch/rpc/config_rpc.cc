// SPDX-License-Identifier: Apache-2.0
// The whole configuration: read it, replace it.
#include "lib/status/grpc_status.h"
#include "vswitch/rpc/vswitch_service.h"

namespace vswitch::rpc {

grpc::Status VSwitchService::GetConfig(grpc::ServerContext*, const v1::GetConfigRequest*,
                                       v1::Config* resp) {
  *resp = store_->config();
  return grpc::Status::OK;
}

grpc::Status VSwitchService::ApplyConfig(grpc::ServerContext*, const v1::ApplyConfigRequest* req,
                                         v1::ApplyConfigResponse* resp) {
  auto r = store_->ApplyConfig(req->config());
  if (!r.ok()) {
    return ToGrpcStatus(r.status());
  }
  resp->set_snapshot_generation(*r);
  return grpc::Status::OK;
}

}  // namespace vswitch::rpc
