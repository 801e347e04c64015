// SPDX-License-Identifier: Apache-2.0
// VPorts.
#include "lib/status/grpc_status.h"
#include "vswitch/rpc/vswitch_service.h"

namespace vswitch::rpc {

grpc::Status VSwitchService::AddVPort(grpc::ServerContext*, const v1::AddVPortRequest* req,
                                      v1::VPort* resp) {
  return ReplyWith(store_->AddVPort(req->vport()), resp);
}

grpc::Status VSwitchService::RemoveVPort(grpc::ServerContext*, const v1::RemoveVPortRequest* req,
                                         v1::RemoveVPortResponse*) {
  return ToGrpcStatus(store_->RemoveVPort(req->name()));
}

grpc::Status VSwitchService::ListVPorts(grpc::ServerContext*, const v1::ListVPortsRequest*,
                                        v1::ListVPortsResponse* resp) {
  *resp = store_->ListVPorts();
  return grpc::Status::OK;
}

grpc::Status VSwitchService::SetVPortAdminState(grpc::ServerContext*,
                                                const v1::SetVPortAdminStateRequest* req,
                                                v1::VPort* resp) {
  return ReplyWith(store_->SetVPortAdminState(req->name(), req->admin_state()), resp);
}

}  // namespace vswitch::rpc
