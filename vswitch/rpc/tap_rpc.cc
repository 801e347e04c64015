// SPDX-License-Identifier: Apache-2.0
// Mirror destinations, TAP sessions, neighbors.
#include "lib/status/grpc_status.h"
#include "vswitch/rpc/vswitch_service.h"

namespace vswitch::rpc {
grpc::Status VSwitchService::CreateMirrorDestination(grpc::ServerContext*,
                                                     const v1::CreateMirrorDestinationRequest* req,
                                                     v1::MirrorDestination* resp) {
  return ReplyWith(store_->CreateMirrorDestination(req->destination()), resp);
}

grpc::Status VSwitchService::DeleteMirrorDestination(grpc::ServerContext*,
                                                     const v1::DeleteMirrorDestinationRequest* req,
                                                     v1::DeleteMirrorDestinationResponse*) {
  return ToGrpcStatus(store_->DeleteMirrorDestination(req->name()));
}

grpc::Status VSwitchService::ListMirrorDestinations(grpc::ServerContext*,
                                                    const v1::ListMirrorDestinationsRequest*,
                                                    v1::ListMirrorDestinationsResponse* resp) {
  *resp = store_->ListMirrorDestinations();
  return grpc::Status::OK;
}

grpc::Status VSwitchService::CreateTapSession(grpc::ServerContext*,
                                              const v1::CreateTapSessionRequest* req,
                                              v1::TapSession* resp) {
  return ReplyWith(store_->CreateTapSession(req->session()), resp);
}

grpc::Status VSwitchService::UpdateTapSession(grpc::ServerContext*,
                                              const v1::UpdateTapSessionRequest* req,
                                              v1::TapSession* resp) {
  return ReplyWith(store_->UpdateTapSession(req->session()), resp);
}

grpc::Status VSwitchService::DeleteTapSession(grpc::ServerContext*,
                                              const v1::DeleteTapSessionRequest* req,
                                              v1::DeleteTapSessionResponse*) {
  return ToGrpcStatus(store_->DeleteTapSession(req->name()));
}

grpc::Status VSwitchService::ListTapSessions(grpc::ServerContext*,
                                             const v1::ListTapSessionsRequest*,
                                             v1::ListTapSessionsResponse* resp) {
  *resp = store_->ListTapSessions();
  return grpc::Status::OK;
}

grpc::Status VSwitchService::SetNeighbor(grpc::ServerContext*, const v1::SetNeighborRequest* req,
                                         v1::Neighbor* resp) {
  return ReplyWith(store_->SetNeighbor(req->neighbor()), resp);
}

grpc::Status VSwitchService::DeleteNeighbor(grpc::ServerContext*,
                                            const v1::DeleteNeighborRequest* req,
                                            v1::DeleteNeighborResponse*) {
  return ToGrpcStatus(store_->DeleteNeighbor(req->ip()));
}

grpc::Status VSwitchService::ListNeighbors(grpc::ServerContext*, const v1::ListNeighborsRequest*,
                                           v1::ListNeighborsResponse* resp) {
  *resp = store_->ListNeighbors();
  return grpc::Status::OK;
}

}  // namespace vswitch::rpc
