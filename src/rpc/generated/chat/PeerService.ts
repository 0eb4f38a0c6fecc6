// Original file: proto/chat.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { JoinReply as _chat_JoinReply, JoinReply__Output as _chat_JoinReply__Output } from '../chat/JoinReply';
import type { JoinRequest as _chat_JoinRequest, JoinRequest__Output as _chat_JoinRequest__Output } from '../chat/JoinRequest';
import type { ReplicateReply as _chat_ReplicateReply, ReplicateReply__Output as _chat_ReplicateReply__Output } from '../chat/ReplicateReply';
import type { ReplicateRequest as _chat_ReplicateRequest, ReplicateRequest__Output as _chat_ReplicateRequest__Output } from '../chat/ReplicateRequest';
import type { SnapshotChunk as _chat_SnapshotChunk, SnapshotChunk__Output as _chat_SnapshotChunk__Output } from '../chat/SnapshotChunk';
import type { TimeoutNowReply as _chat_TimeoutNowReply, TimeoutNowReply__Output as _chat_TimeoutNowReply__Output } from '../chat/TimeoutNowReply';
import type { TimeoutNowRequest as _chat_TimeoutNowRequest, TimeoutNowRequest__Output as _chat_TimeoutNowRequest__Output } from '../chat/TimeoutNowRequest';
import type { VoteReply as _chat_VoteReply, VoteReply__Output as _chat_VoteReply__Output } from '../chat/VoteReply';
import type { VoteRequest as _chat_VoteRequest, VoteRequest__Output as _chat_VoteRequest__Output } from '../chat/VoteRequest';

export interface PeerServiceClient extends grpc.Client {
  Election(argument: _chat_VoteRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_VoteReply__Output>): grpc.ClientUnaryCall;
  Election(argument: _chat_VoteRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_chat_VoteReply__Output>): grpc.ClientUnaryCall;
  Election(argument: _chat_VoteRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_VoteReply__Output>): grpc.ClientUnaryCall;
  Election(argument: _chat_VoteRequest, callback: grpc.requestCallback<_chat_VoteReply__Output>): grpc.ClientUnaryCall;
  election(argument: _chat_VoteRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_VoteReply__Output>): grpc.ClientUnaryCall;
  election(argument: _chat_VoteRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_chat_VoteReply__Output>): grpc.ClientUnaryCall;
  election(argument: _chat_VoteRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_VoteReply__Output>): grpc.ClientUnaryCall;
  election(argument: _chat_VoteRequest, callback: grpc.requestCallback<_chat_VoteReply__Output>): grpc.ClientUnaryCall;
  
  InstallSnapshot(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_ReplicateReply__Output>): grpc.ClientWritableStream<_chat_SnapshotChunk>;
  InstallSnapshot(metadata: grpc.Metadata, callback: grpc.requestCallback<_chat_ReplicateReply__Output>): grpc.ClientWritableStream<_chat_SnapshotChunk>;
  InstallSnapshot(options: grpc.CallOptions, callback: grpc.requestCallback<_chat_ReplicateReply__Output>): grpc.ClientWritableStream<_chat_SnapshotChunk>;
  InstallSnapshot(callback: grpc.requestCallback<_chat_ReplicateReply__Output>): grpc.ClientWritableStream<_chat_SnapshotChunk>;
  installSnapshot(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_ReplicateReply__Output>): grpc.ClientWritableStream<_chat_SnapshotChunk>;
  installSnapshot(metadata: grpc.Metadata, callback: grpc.requestCallback<_chat_ReplicateReply__Output>): grpc.ClientWritableStream<_chat_SnapshotChunk>;
  installSnapshot(options: grpc.CallOptions, callback: grpc.requestCallback<_chat_ReplicateReply__Output>): grpc.ClientWritableStream<_chat_SnapshotChunk>;
  installSnapshot(callback: grpc.requestCallback<_chat_ReplicateReply__Output>): grpc.ClientWritableStream<_chat_SnapshotChunk>;
  
  JoinCluster(argument: _chat_JoinRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_JoinReply__Output>): grpc.ClientUnaryCall;
  JoinCluster(argument: _chat_JoinRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_chat_JoinReply__Output>): grpc.ClientUnaryCall;
  JoinCluster(argument: _chat_JoinRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_JoinReply__Output>): grpc.ClientUnaryCall;
  JoinCluster(argument: _chat_JoinRequest, callback: grpc.requestCallback<_chat_JoinReply__Output>): grpc.ClientUnaryCall;
  joinCluster(argument: _chat_JoinRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_JoinReply__Output>): grpc.ClientUnaryCall;
  joinCluster(argument: _chat_JoinRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_chat_JoinReply__Output>): grpc.ClientUnaryCall;
  joinCluster(argument: _chat_JoinRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_JoinReply__Output>): grpc.ClientUnaryCall;
  joinCluster(argument: _chat_JoinRequest, callback: grpc.requestCallback<_chat_JoinReply__Output>): grpc.ClientUnaryCall;
  
  ReplicateOperation(argument: _chat_ReplicateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_ReplicateReply__Output>): grpc.ClientUnaryCall;
  ReplicateOperation(argument: _chat_ReplicateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_chat_ReplicateReply__Output>): grpc.ClientUnaryCall;
  ReplicateOperation(argument: _chat_ReplicateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_ReplicateReply__Output>): grpc.ClientUnaryCall;
  ReplicateOperation(argument: _chat_ReplicateRequest, callback: grpc.requestCallback<_chat_ReplicateReply__Output>): grpc.ClientUnaryCall;
  replicateOperation(argument: _chat_ReplicateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_ReplicateReply__Output>): grpc.ClientUnaryCall;
  replicateOperation(argument: _chat_ReplicateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_chat_ReplicateReply__Output>): grpc.ClientUnaryCall;
  replicateOperation(argument: _chat_ReplicateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_ReplicateReply__Output>): grpc.ClientUnaryCall;
  replicateOperation(argument: _chat_ReplicateRequest, callback: grpc.requestCallback<_chat_ReplicateReply__Output>): grpc.ClientUnaryCall;
  
  ReplicateStream(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_chat_ReplicateRequest, _chat_ReplicateReply__Output>;
  ReplicateStream(options?: grpc.CallOptions): grpc.ClientDuplexStream<_chat_ReplicateRequest, _chat_ReplicateReply__Output>;
  replicateStream(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_chat_ReplicateRequest, _chat_ReplicateReply__Output>;
  replicateStream(options?: grpc.CallOptions): grpc.ClientDuplexStream<_chat_ReplicateRequest, _chat_ReplicateReply__Output>;
  
  TimeoutNow(argument: _chat_TimeoutNowRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_TimeoutNowReply__Output>): grpc.ClientUnaryCall;
  TimeoutNow(argument: _chat_TimeoutNowRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_chat_TimeoutNowReply__Output>): grpc.ClientUnaryCall;
  TimeoutNow(argument: _chat_TimeoutNowRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_TimeoutNowReply__Output>): grpc.ClientUnaryCall;
  TimeoutNow(argument: _chat_TimeoutNowRequest, callback: grpc.requestCallback<_chat_TimeoutNowReply__Output>): grpc.ClientUnaryCall;
  timeoutNow(argument: _chat_TimeoutNowRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_TimeoutNowReply__Output>): grpc.ClientUnaryCall;
  timeoutNow(argument: _chat_TimeoutNowRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_chat_TimeoutNowReply__Output>): grpc.ClientUnaryCall;
  timeoutNow(argument: _chat_TimeoutNowRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_TimeoutNowReply__Output>): grpc.ClientUnaryCall;
  timeoutNow(argument: _chat_TimeoutNowRequest, callback: grpc.requestCallback<_chat_TimeoutNowReply__Output>): grpc.ClientUnaryCall;
  
}

export interface PeerServiceHandlers extends grpc.UntypedServiceImplementation {
  Election: grpc.handleUnaryCall<_chat_VoteRequest__Output, _chat_VoteReply>;
  
  InstallSnapshot: grpc.handleClientStreamingCall<_chat_SnapshotChunk__Output, _chat_ReplicateReply>;
  
  JoinCluster: grpc.handleUnaryCall<_chat_JoinRequest__Output, _chat_JoinReply>;
  
  ReplicateOperation: grpc.handleUnaryCall<_chat_ReplicateRequest__Output, _chat_ReplicateReply>;
  
  ReplicateStream: grpc.handleBidiStreamingCall<_chat_ReplicateRequest__Output, _chat_ReplicateReply>;
  
  TimeoutNow: grpc.handleUnaryCall<_chat_TimeoutNowRequest__Output, _chat_TimeoutNowReply>;
  
}

export interface PeerServiceDefinition extends grpc.ServiceDefinition {
  Election: MethodDefinition<_chat_VoteRequest, _chat_VoteReply, _chat_VoteRequest__Output, _chat_VoteReply__Output>
  InstallSnapshot: MethodDefinition<_chat_SnapshotChunk, _chat_ReplicateReply, _chat_SnapshotChunk__Output, _chat_ReplicateReply__Output>
  JoinCluster: MethodDefinition<_chat_JoinRequest, _chat_JoinReply, _chat_JoinRequest__Output, _chat_JoinReply__Output>
  ReplicateOperation: MethodDefinition<_chat_ReplicateRequest, _chat_ReplicateReply, _chat_ReplicateRequest__Output, _chat_ReplicateReply__Output>
  ReplicateStream: MethodDefinition<_chat_ReplicateRequest, _chat_ReplicateReply, _chat_ReplicateRequest__Output, _chat_ReplicateReply__Output>
  TimeoutNow: MethodDefinition<_chat_TimeoutNowRequest, _chat_TimeoutNowReply, _chat_TimeoutNowRequest__Output, _chat_TimeoutNowReply__Output>
}
