import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { AdminServiceClient as _chat_AdminServiceClient, AdminServiceDefinition as _chat_AdminServiceDefinition } from './chat/AdminService';
import type { BackupRequest as _chat_BackupRequest, BackupRequest__Output as _chat_BackupRequest__Output } from './chat/BackupRequest';
import type { ChatMessage as _chat_ChatMessage, ChatMessage__Output as _chat_ChatMessage__Output } from './chat/ChatMessage';
import type { ChatServiceClient as _chat_ChatServiceClient, ChatServiceDefinition as _chat_ChatServiceDefinition } from './chat/ChatService';
import type { CreateAccountReply as _chat_CreateAccountReply, CreateAccountReply__Output as _chat_CreateAccountReply__Output } from './chat/CreateAccountReply';
import type { CreateAccountRequest as _chat_CreateAccountRequest, CreateAccountRequest__Output as _chat_CreateAccountRequest__Output } from './chat/CreateAccountRequest';
import type { DeleteAccountReply as _chat_DeleteAccountReply, DeleteAccountReply__Output as _chat_DeleteAccountReply__Output } from './chat/DeleteAccountReply';
import type { DeleteAccountRequest as _chat_DeleteAccountRequest, DeleteAccountRequest__Output as _chat_DeleteAccountRequest__Output } from './chat/DeleteAccountRequest';
import type { DeleteMessagesReply as _chat_DeleteMessagesReply, DeleteMessagesReply__Output as _chat_DeleteMessagesReply__Output } from './chat/DeleteMessagesReply';
import type { DeleteMessagesRequest as _chat_DeleteMessagesRequest, DeleteMessagesRequest__Output as _chat_DeleteMessagesRequest__Output } from './chat/DeleteMessagesRequest';
import type { GetLeaderInfoReply as _chat_GetLeaderInfoReply, GetLeaderInfoReply__Output as _chat_GetLeaderInfoReply__Output } from './chat/GetLeaderInfoReply';
import type { GetLeaderInfoRequest as _chat_GetLeaderInfoRequest, GetLeaderInfoRequest__Output as _chat_GetLeaderInfoRequest__Output } from './chat/GetLeaderInfoRequest';
import type { JoinReply as _chat_JoinReply, JoinReply__Output as _chat_JoinReply__Output } from './chat/JoinReply';
import type { JoinRequest as _chat_JoinRequest, JoinRequest__Output as _chat_JoinRequest__Output } from './chat/JoinRequest';
import type { ListAccountsReply as _chat_ListAccountsReply, ListAccountsReply__Output as _chat_ListAccountsReply__Output } from './chat/ListAccountsReply';
import type { ListAccountsRequest as _chat_ListAccountsRequest, ListAccountsRequest__Output as _chat_ListAccountsRequest__Output } from './chat/ListAccountsRequest';
import type { ListMessagesReply as _chat_ListMessagesReply, ListMessagesReply__Output as _chat_ListMessagesReply__Output } from './chat/ListMessagesReply';
import type { ListMessagesRequest as _chat_ListMessagesRequest, ListMessagesRequest__Output as _chat_ListMessagesRequest__Output } from './chat/ListMessagesRequest';
import type { LogEntry as _chat_LogEntry, LogEntry__Output as _chat_LogEntry__Output } from './chat/LogEntry';
import type { LoginReply as _chat_LoginReply, LoginReply__Output as _chat_LoginReply__Output } from './chat/LoginReply';
import type { LoginRequest as _chat_LoginRequest, LoginRequest__Output as _chat_LoginRequest__Output } from './chat/LoginRequest';
import type { LogoutReply as _chat_LogoutReply, LogoutReply__Output as _chat_LogoutReply__Output } from './chat/LogoutReply';
import type { LogoutRequest as _chat_LogoutRequest, LogoutRequest__Output as _chat_LogoutRequest__Output } from './chat/LogoutRequest';
import type { MarkReadReply as _chat_MarkReadReply, MarkReadReply__Output as _chat_MarkReadReply__Output } from './chat/MarkReadReply';
import type { MarkReadRequest as _chat_MarkReadRequest, MarkReadRequest__Output as _chat_MarkReadRequest__Output } from './chat/MarkReadRequest';
import type { MemberStatusReply as _chat_MemberStatusReply, MemberStatusReply__Output as _chat_MemberStatusReply__Output } from './chat/MemberStatusReply';
import type { MembershipReply as _chat_MembershipReply, MembershipReply__Output as _chat_MembershipReply__Output } from './chat/MembershipReply';
import type { PeerServiceClient as _chat_PeerServiceClient, PeerServiceDefinition as _chat_PeerServiceDefinition } from './chat/PeerService';
import type { ReadNewMessagesReply as _chat_ReadNewMessagesReply, ReadNewMessagesReply__Output as _chat_ReadNewMessagesReply__Output } from './chat/ReadNewMessagesReply';
import type { ReadNewMessagesRequest as _chat_ReadNewMessagesRequest, ReadNewMessagesRequest__Output as _chat_ReadNewMessagesRequest__Output } from './chat/ReadNewMessagesRequest';
import type { RemoveServerRequest as _chat_RemoveServerRequest, RemoveServerRequest__Output as _chat_RemoveServerRequest__Output } from './chat/RemoveServerRequest';
import type { ReplicaInfo as _chat_ReplicaInfo, ReplicaInfo__Output as _chat_ReplicaInfo__Output } from './chat/ReplicaInfo';
import type { ReplicaStatus as _chat_ReplicaStatus, ReplicaStatus__Output as _chat_ReplicaStatus__Output } from './chat/ReplicaStatus';
import type { ReplicateReply as _chat_ReplicateReply, ReplicateReply__Output as _chat_ReplicateReply__Output } from './chat/ReplicateReply';
import type { ReplicateRequest as _chat_ReplicateRequest, ReplicateRequest__Output as _chat_ReplicateRequest__Output } from './chat/ReplicateRequest';
import type { SendMessageReply as _chat_SendMessageReply, SendMessageReply__Output as _chat_SendMessageReply__Output } from './chat/SendMessageReply';
import type { SendMessageRequest as _chat_SendMessageRequest, SendMessageRequest__Output as _chat_SendMessageRequest__Output } from './chat/SendMessageRequest';
import type { SnapshotChunk as _chat_SnapshotChunk, SnapshotChunk__Output as _chat_SnapshotChunk__Output } from './chat/SnapshotChunk';
import type { StatusReply as _chat_StatusReply, StatusReply__Output as _chat_StatusReply__Output } from './chat/StatusReply';
import type { StatusRequest as _chat_StatusRequest, StatusRequest__Output as _chat_StatusRequest__Output } from './chat/StatusRequest';
import type { SubscribeRequest as _chat_SubscribeRequest, SubscribeRequest__Output as _chat_SubscribeRequest__Output } from './chat/SubscribeRequest';
import type { TimeoutNowReply as _chat_TimeoutNowReply, TimeoutNowReply__Output as _chat_TimeoutNowReply__Output } from './chat/TimeoutNowReply';
import type { TimeoutNowRequest as _chat_TimeoutNowRequest, TimeoutNowRequest__Output as _chat_TimeoutNowRequest__Output } from './chat/TimeoutNowRequest';
import type { TransferLeaderReply as _chat_TransferLeaderReply, TransferLeaderReply__Output as _chat_TransferLeaderReply__Output } from './chat/TransferLeaderReply';
import type { TransferLeaderRequest as _chat_TransferLeaderRequest, TransferLeaderRequest__Output as _chat_TransferLeaderRequest__Output } from './chat/TransferLeaderRequest';
import type { VoteReply as _chat_VoteReply, VoteReply__Output as _chat_VoteReply__Output } from './chat/VoteReply';
import type { VoteRequest as _chat_VoteRequest, VoteRequest__Output as _chat_VoteRequest__Output } from './chat/VoteRequest';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  chat: {
    AdminService: SubtypeConstructor<typeof grpc.Client, _chat_AdminServiceClient> & { service: _chat_AdminServiceDefinition }
    BackupRequest: MessageTypeDefinition<_chat_BackupRequest, _chat_BackupRequest__Output>
    ChatMessage: MessageTypeDefinition<_chat_ChatMessage, _chat_ChatMessage__Output>
    ChatService: SubtypeConstructor<typeof grpc.Client, _chat_ChatServiceClient> & { service: _chat_ChatServiceDefinition }
    CreateAccountReply: MessageTypeDefinition<_chat_CreateAccountReply, _chat_CreateAccountReply__Output>
    CreateAccountRequest: MessageTypeDefinition<_chat_CreateAccountRequest, _chat_CreateAccountRequest__Output>
    DeleteAccountReply: MessageTypeDefinition<_chat_DeleteAccountReply, _chat_DeleteAccountReply__Output>
    DeleteAccountRequest: MessageTypeDefinition<_chat_DeleteAccountRequest, _chat_DeleteAccountRequest__Output>
    DeleteMessagesReply: MessageTypeDefinition<_chat_DeleteMessagesReply, _chat_DeleteMessagesReply__Output>
    DeleteMessagesRequest: MessageTypeDefinition<_chat_DeleteMessagesRequest, _chat_DeleteMessagesRequest__Output>
    GetLeaderInfoReply: MessageTypeDefinition<_chat_GetLeaderInfoReply, _chat_GetLeaderInfoReply__Output>
    GetLeaderInfoRequest: MessageTypeDefinition<_chat_GetLeaderInfoRequest, _chat_GetLeaderInfoRequest__Output>
    JoinReply: MessageTypeDefinition<_chat_JoinReply, _chat_JoinReply__Output>
    JoinRequest: MessageTypeDefinition<_chat_JoinRequest, _chat_JoinRequest__Output>
    ListAccountsReply: MessageTypeDefinition<_chat_ListAccountsReply, _chat_ListAccountsReply__Output>
    ListAccountsRequest: MessageTypeDefinition<_chat_ListAccountsRequest, _chat_ListAccountsRequest__Output>
    ListMessagesReply: MessageTypeDefinition<_chat_ListMessagesReply, _chat_ListMessagesReply__Output>
    ListMessagesRequest: MessageTypeDefinition<_chat_ListMessagesRequest, _chat_ListMessagesRequest__Output>
    LogEntry: MessageTypeDefinition<_chat_LogEntry, _chat_LogEntry__Output>
    LoginReply: MessageTypeDefinition<_chat_LoginReply, _chat_LoginReply__Output>
    LoginRequest: MessageTypeDefinition<_chat_LoginRequest, _chat_LoginRequest__Output>
    LogoutReply: MessageTypeDefinition<_chat_LogoutReply, _chat_LogoutReply__Output>
    LogoutRequest: MessageTypeDefinition<_chat_LogoutRequest, _chat_LogoutRequest__Output>
    MarkReadReply: MessageTypeDefinition<_chat_MarkReadReply, _chat_MarkReadReply__Output>
    MarkReadRequest: MessageTypeDefinition<_chat_MarkReadRequest, _chat_MarkReadRequest__Output>
    MemberStatusReply: MessageTypeDefinition<_chat_MemberStatusReply, _chat_MemberStatusReply__Output>
    MembershipReply: MessageTypeDefinition<_chat_MembershipReply, _chat_MembershipReply__Output>
    PeerService: SubtypeConstructor<typeof grpc.Client, _chat_PeerServiceClient> & { service: _chat_PeerServiceDefinition }
    ReadNewMessagesReply: MessageTypeDefinition<_chat_ReadNewMessagesReply, _chat_ReadNewMessagesReply__Output>
    ReadNewMessagesRequest: MessageTypeDefinition<_chat_ReadNewMessagesRequest, _chat_ReadNewMessagesRequest__Output>
    RemoveServerRequest: MessageTypeDefinition<_chat_RemoveServerRequest, _chat_RemoveServerRequest__Output>
    ReplicaInfo: MessageTypeDefinition<_chat_ReplicaInfo, _chat_ReplicaInfo__Output>
    ReplicaStatus: MessageTypeDefinition<_chat_ReplicaStatus, _chat_ReplicaStatus__Output>
    ReplicateReply: MessageTypeDefinition<_chat_ReplicateReply, _chat_ReplicateReply__Output>
    ReplicateRequest: MessageTypeDefinition<_chat_ReplicateRequest, _chat_ReplicateRequest__Output>
    SendMessageReply: MessageTypeDefinition<_chat_SendMessageReply, _chat_SendMessageReply__Output>
    SendMessageRequest: MessageTypeDefinition<_chat_SendMessageRequest, _chat_SendMessageRequest__Output>
    SnapshotChunk: MessageTypeDefinition<_chat_SnapshotChunk, _chat_SnapshotChunk__Output>
    StatusReply: MessageTypeDefinition<_chat_StatusReply, _chat_StatusReply__Output>
    StatusRequest: MessageTypeDefinition<_chat_StatusRequest, _chat_StatusRequest__Output>
    SubscribeRequest: MessageTypeDefinition<_chat_SubscribeRequest, _chat_SubscribeRequest__Output>
    TimeoutNowReply: MessageTypeDefinition<_chat_TimeoutNowReply, _chat_TimeoutNowReply__Output>
    TimeoutNowRequest: MessageTypeDefinition<_chat_TimeoutNowRequest, _chat_TimeoutNowRequest__Output>
    TransferLeaderReply: MessageTypeDefinition<_chat_TransferLeaderReply, _chat_TransferLeaderReply__Output>
    TransferLeaderRequest: MessageTypeDefinition<_chat_TransferLeaderRequest, _chat_TransferLeaderRequest__Output>
    VoteReply: MessageTypeDefinition<_chat_VoteReply, _chat_VoteReply__Output>
    VoteRequest: MessageTypeDefinition<_chat_VoteRequest, _chat_VoteRequest__Output>
  }
}

