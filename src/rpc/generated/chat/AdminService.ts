// Original file: proto/chat.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { BackupRequest as _chat_BackupRequest, BackupRequest__Output as _chat_BackupRequest__Output } from '../chat/BackupRequest';
import type { MemberStatusReply as _chat_MemberStatusReply, MemberStatusReply__Output as _chat_MemberStatusReply__Output } from '../chat/MemberStatusReply';
import type { MembershipReply as _chat_MembershipReply, MembershipReply__Output as _chat_MembershipReply__Output } from '../chat/MembershipReply';
import type { RemoveServerRequest as _chat_RemoveServerRequest, RemoveServerRequest__Output as _chat_RemoveServerRequest__Output } from '../chat/RemoveServerRequest';
import type { SnapshotChunk as _chat_SnapshotChunk, SnapshotChunk__Output as _chat_SnapshotChunk__Output } from '../chat/SnapshotChunk';
import type { StatusReply as _chat_StatusReply, StatusReply__Output as _chat_StatusReply__Output } from '../chat/StatusReply';
import type { StatusRequest as _chat_StatusRequest, StatusRequest__Output as _chat_StatusRequest__Output } from '../chat/StatusRequest';
import type { TransferLeaderReply as _chat_TransferLeaderReply, TransferLeaderReply__Output as _chat_TransferLeaderReply__Output } from '../chat/TransferLeaderReply';
import type { TransferLeaderRequest as _chat_TransferLeaderRequest, TransferLeaderRequest__Output as _chat_TransferLeaderRequest__Output } from '../chat/TransferLeaderRequest';

export interface AdminServiceClient extends grpc.Client {
  Backup(argument: _chat_BackupRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_chat_SnapshotChunk__Output>;
  Backup(argument: _chat_BackupRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_chat_SnapshotChunk__Output>;
  backup(argument: _chat_BackupRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_chat_SnapshotChunk__Output>;
  backup(argument: _chat_BackupRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_chat_SnapshotChunk__Output>;
  
  MemberStatus(argument: _chat_StatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_MemberStatusReply__Output>): grpc.ClientUnaryCall;
  MemberStatus(argument: _chat_StatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_chat_MemberStatusReply__Output>): grpc.ClientUnaryCall;
  MemberStatus(argument: _chat_StatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_MemberStatusReply__Output>): grpc.ClientUnaryCall;
  MemberStatus(argument: _chat_StatusRequest, callback: grpc.requestCallback<_chat_MemberStatusReply__Output>): grpc.ClientUnaryCall;
  memberStatus(argument: _chat_StatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_MemberStatusReply__Output>): grpc.ClientUnaryCall;
  memberStatus(argument: _chat_StatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_chat_MemberStatusReply__Output>): grpc.ClientUnaryCall;
  memberStatus(argument: _chat_StatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_MemberStatusReply__Output>): grpc.ClientUnaryCall;
  memberStatus(argument: _chat_StatusRequest, callback: grpc.requestCallback<_chat_MemberStatusReply__Output>): grpc.ClientUnaryCall;
  
  RemoveServer(argument: _chat_RemoveServerRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_MembershipReply__Output>): grpc.ClientUnaryCall;
  RemoveServer(argument: _chat_RemoveServerRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_chat_MembershipReply__Output>): grpc.ClientUnaryCall;
  RemoveServer(argument: _chat_RemoveServerRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_MembershipReply__Output>): grpc.ClientUnaryCall;
  RemoveServer(argument: _chat_RemoveServerRequest, callback: grpc.requestCallback<_chat_MembershipReply__Output>): grpc.ClientUnaryCall;
  removeServer(argument: _chat_RemoveServerRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_MembershipReply__Output>): grpc.ClientUnaryCall;
  removeServer(argument: _chat_RemoveServerRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_chat_MembershipReply__Output>): grpc.ClientUnaryCall;
  removeServer(argument: _chat_RemoveServerRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_MembershipReply__Output>): grpc.ClientUnaryCall;
  removeServer(argument: _chat_RemoveServerRequest, callback: grpc.requestCallback<_chat_MembershipReply__Output>): grpc.ClientUnaryCall;
  
  Status(argument: _chat_StatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_StatusReply__Output>): grpc.ClientUnaryCall;
  Status(argument: _chat_StatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_chat_StatusReply__Output>): grpc.ClientUnaryCall;
  Status(argument: _chat_StatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_StatusReply__Output>): grpc.ClientUnaryCall;
  Status(argument: _chat_StatusRequest, callback: grpc.requestCallback<_chat_StatusReply__Output>): grpc.ClientUnaryCall;
  status(argument: _chat_StatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_StatusReply__Output>): grpc.ClientUnaryCall;
  status(argument: _chat_StatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_chat_StatusReply__Output>): grpc.ClientUnaryCall;
  status(argument: _chat_StatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_StatusReply__Output>): grpc.ClientUnaryCall;
  status(argument: _chat_StatusRequest, callback: grpc.requestCallback<_chat_StatusReply__Output>): grpc.ClientUnaryCall;
  
  TransferLeader(argument: _chat_TransferLeaderRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_TransferLeaderReply__Output>): grpc.ClientUnaryCall;
  TransferLeader(argument: _chat_TransferLeaderRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_chat_TransferLeaderReply__Output>): grpc.ClientUnaryCall;
  TransferLeader(argument: _chat_TransferLeaderRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_TransferLeaderReply__Output>): grpc.ClientUnaryCall;
  TransferLeader(argument: _chat_TransferLeaderRequest, callback: grpc.requestCallback<_chat_TransferLeaderReply__Output>): grpc.ClientUnaryCall;
  transferLeader(argument: _chat_TransferLeaderRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_TransferLeaderReply__Output>): grpc.ClientUnaryCall;
  transferLeader(argument: _chat_TransferLeaderRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_chat_TransferLeaderReply__Output>): grpc.ClientUnaryCall;
  transferLeader(argument: _chat_TransferLeaderRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_TransferLeaderReply__Output>): grpc.ClientUnaryCall;
  transferLeader(argument: _chat_TransferLeaderRequest, callback: grpc.requestCallback<_chat_TransferLeaderReply__Output>): grpc.ClientUnaryCall;
  
}

export interface AdminServiceHandlers extends grpc.UntypedServiceImplementation {
  Backup: grpc.handleServerStreamingCall<_chat_BackupRequest__Output, _chat_SnapshotChunk>;
  
  MemberStatus: grpc.handleUnaryCall<_chat_StatusRequest__Output, _chat_MemberStatusReply>;
  
  RemoveServer: grpc.handleUnaryCall<_chat_RemoveServerRequest__Output, _chat_MembershipReply>;
  
  Status: grpc.handleUnaryCall<_chat_StatusRequest__Output, _chat_StatusReply>;
  
  TransferLeader: grpc.handleUnaryCall<_chat_TransferLeaderRequest__Output, _chat_TransferLeaderReply>;
  
}

export interface AdminServiceDefinition extends grpc.ServiceDefinition {
  Backup: MethodDefinition<_chat_BackupRequest, _chat_SnapshotChunk, _chat_BackupRequest__Output, _chat_SnapshotChunk__Output>
  MemberStatus: MethodDefinition<_chat_StatusRequest, _chat_MemberStatusReply, _chat_StatusRequest__Output, _chat_MemberStatusReply__Output>
  RemoveServer: MethodDefinition<_chat_RemoveServerRequest, _chat_MembershipReply, _chat_RemoveServerRequest__Output, _chat_MembershipReply__Output>
  Status: MethodDefinition<_chat_StatusRequest, _chat_StatusReply, _chat_StatusRequest__Output, _chat_StatusReply__Output>
  TransferLeader: MethodDefinition<_chat_TransferLeaderRequest, _chat_TransferLeaderReply, _chat_TransferLeaderRequest__Output, _chat_TransferLeaderReply__Output>
}
