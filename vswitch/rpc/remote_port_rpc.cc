// SPDX-License-Identifier: Apache-2.0
// Remote ports (the overlay).
#include "lib/status/grpc_status.h"
#include "vswitch/rpc/vswitch_service.h"

namespace vswitch::rpc {

grpc::Status VSwitchService::AddRemotePort(grpc::ServerContext*,
                                           const v1::AddRemotePortRequest* req,
                                           v1::RemotePort* resp) {
  return ReplyWith(store_->AddRemotePort(req->port()), resp);
}

grpc::Status VSwitchService::RemoveRemotePort(grpc::ServerContext*,
                                              const v1::RemoveRemotePortRequest* req,
                                              v1::RemoveRemotePortResponse*) {
  return ToGrpcStatus(store_->RemoveRemotePort(req->vnet(), req->mac()));
}

grpc::Status VSwitchService::ListRemotePorts(grpc::ServerContext*,
                                             const v1::ListRemotePortsRequest* req,
                                             v1::ListRemotePortsResponse* resp) {
  return ReplyWith(store_->ListRemotePorts(req->vnet()), resp);
}

grpc::Status VSwitchService::ReplaceRemotePorts(grpc::ServerContext*,
                                                const v1::ReplaceRemotePortsRequest* req,
                                                v1::ReplaceRemotePortsResponse* resp) {
  return ReplyWith(store_->ReplaceRemotePorts(*req), resp);
}

}  // namespace vswitch::rpc
