// SPDX-License-Identifier: Apache-2.0
// FDB entries.
#include "lib/status/grpc_status.h"
#include "vswitch/rpc/vswitch_service.h"

namespace vswitch::rpc {

grpc::Status VSwitchService::AddFdbEntry(grpc::ServerContext*, const v1::AddFdbEntryRequest* req,
                                         v1::FdbEntry* resp) {
  return ReplyWith(store_->AddFdbEntry(req->entry()), resp);
}

grpc::Status VSwitchService::RemoveFdbEntry(grpc::ServerContext*,
                                            const v1::RemoveFdbEntryRequest* req,
                                            v1::RemoveFdbEntryResponse*) {
  return ToGrpcStatus(store_->RemoveFdbEntry(req->vnet(), req->mac()));
}

grpc::Status VSwitchService::ListFdb(grpc::ServerContext*, const v1::ListFdbRequest* req,
                                     v1::ListFdbResponse* resp) {
  return ReplyWith(store_->ListFdb(req->vnet()), resp);
}

grpc::Status VSwitchService::FlushFdb(grpc::ServerContext*, const v1::FlushFdbRequest* req,
                                      v1::FlushFdbResponse* resp) {
  auto r = store_->FlushFdb(req->vnet(), req->include_static());
  if (!r.ok()) {
    return ToGrpcStatus(r.status());
  }
  resp->set_removed(*r);
  return grpc::Status::OK;
}

}  // namespace vswitch::rpc
