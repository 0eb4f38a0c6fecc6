// Original file: proto/chat.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { ReplicateReply as _chat_ReplicateReply, ReplicateReply__Output as _chat_ReplicateReply__Output } from '../chat/ReplicateReply';
import type { ReplicateRequest as _chat_ReplicateRequest, ReplicateRequest__Output as _chat_ReplicateRequest__Output } from '../chat/ReplicateRequest';
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
  
  ReplicateOperation(argument: _chat_ReplicateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_ReplicateReply__Output>): grpc.ClientUnaryCall;
  ReplicateOperation(argument: _chat_ReplicateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_chat_ReplicateReply__Output>): grpc.ClientUnaryCall;
  ReplicateOperation(argument: _chat_ReplicateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_ReplicateReply__Output>): grpc.ClientUnaryCall;
  ReplicateOperation(argument: _chat_ReplicateRequest, callback: grpc.requestCallback<_chat_ReplicateReply__Output>): grpc.ClientUnaryCall;
  replicateOperation(argument: _chat_ReplicateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_ReplicateReply__Output>): grpc.ClientUnaryCall;
  replicateOperation(argument: _chat_ReplicateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_chat_ReplicateReply__Output>): grpc.ClientUnaryCall;
  replicateOperation(argument: _chat_ReplicateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_ReplicateReply__Output>): grpc.ClientUnaryCall;
  replicateOperation(argument: _chat_ReplicateRequest, callback: grpc.requestCallback<_chat_ReplicateReply__Output>): grpc.ClientUnaryCall;
  
}

export interface PeerServiceHandlers extends grpc.UntypedServiceImplementation {
  Election: grpc.handleUnaryCall<_chat_VoteRequest__Output, _chat_VoteReply>;
  
  ReplicateOperation: grpc.handleUnaryCall<_chat_ReplicateRequest__Output, _chat_ReplicateReply>;
  
}

export interface PeerServiceDefinition extends grpc.ServiceDefinition {
  Election: MethodDefinition<_chat_VoteRequest, _chat_VoteReply, _chat_VoteRequest__Output, _chat_VoteReply__Output>
  ReplicateOperation: MethodDefinition<_chat_ReplicateRequest, _chat_ReplicateReply, _chat_ReplicateRequest__Output, _chat_ReplicateReply__Output>
}
