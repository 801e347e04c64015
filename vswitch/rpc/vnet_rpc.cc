// SPDX-License-Identifier: Apache-2.0
// VNets and peerings.
#include "lib/status/grpc_status.h"
#include "vswitch/rpc/vswitch_service.h"

namespace vswitch::rpc {

grpc::Status VSwitchService::CreateVNet(grpc::ServerContext*, const v1::CreateVNetRequest* req,
                                        v1::VNet* resp) {
  return ReplyWith(store_->CreateVNet(req->vnet()), resp);
}

grpc::Status VSwitchService::DeleteVNet(grpc::ServerContext*, const v1::DeleteVNetRequest* req,
                                        v1::DeleteVNetResponse*) {
  return ToGrpcStatus(store_->DeleteVNet(req->name()));
}

grpc::Status VSwitchService::ListVNets(grpc::ServerContext*, const v1::ListVNetsRequest*,
                                       v1::ListVNetsResponse* resp) {
  *resp = store_->ListVNets();
  return grpc::Status::OK;
}

grpc::Status VSwitchService::PeerVNets(grpc::ServerContext*, const v1::PeerVNetsRequest* req,
                                       v1::PeerVNetsResponse*) {
  return ToGrpcStatus(store_->PeerVNets(req->vnet_a(), req->vnet_b(), /*peer=*/true));
}

grpc::Status VSwitchService::UnpeerVNets(grpc::ServerContext*, const v1::PeerVNetsRequest* req,
                                         v1::PeerVNetsResponse*) {
  return ToGrpcStatus(store_->PeerVNets(req->vnet_a(), req->vnet_b(), /*peer=*/false));
}

}  // namespace vswitch::rpc
