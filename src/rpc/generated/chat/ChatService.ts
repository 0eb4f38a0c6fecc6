// Original file: proto/chat.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { ChatMessage as _chat_ChatMessage, ChatMessage__Output as _chat_ChatMessage__Output } from '../chat/ChatMessage';
import type { CreateAccountReply as _chat_CreateAccountReply, CreateAccountReply__Output as _chat_CreateAccountReply__Output } from '../chat/CreateAccountReply';
import type { CreateAccountRequest as _chat_CreateAccountRequest, CreateAccountRequest__Output as _chat_CreateAccountRequest__Output } from '../chat/CreateAccountRequest';
import type { DeleteAccountReply as _chat_DeleteAccountReply, DeleteAccountReply__Output as _chat_DeleteAccountReply__Output } from '../chat/DeleteAccountReply';
import type { DeleteAccountRequest as _chat_DeleteAccountRequest, DeleteAccountRequest__Output as _chat_DeleteAccountRequest__Output } from '../chat/DeleteAccountRequest';
import type { DeleteMessagesReply as _chat_DeleteMessagesReply, DeleteMessagesReply__Output as _chat_DeleteMessagesReply__Output } from '../chat/DeleteMessagesReply';
import type { DeleteMessagesRequest as _chat_DeleteMessagesRequest, DeleteMessagesRequest__Output as _chat_DeleteMessagesRequest__Output } from '../chat/DeleteMessagesRequest';
import type { GetLeaderInfoReply as _chat_GetLeaderInfoReply, GetLeaderInfoReply__Output as _chat_GetLeaderInfoReply__Output } from '../chat/GetLeaderInfoReply';
import type { GetLeaderInfoRequest as _chat_GetLeaderInfoRequest, GetLeaderInfoRequest__Output as _chat_GetLeaderInfoRequest__Output } from '../chat/GetLeaderInfoRequest';
import type { ListAccountsReply as _chat_ListAccountsReply, ListAccountsReply__Output as _chat_ListAccountsReply__Output } from '../chat/ListAccountsReply';
import type { ListAccountsRequest as _chat_ListAccountsRequest, ListAccountsRequest__Output as _chat_ListAccountsRequest__Output } from '../chat/ListAccountsRequest';
import type { ListMessagesReply as _chat_ListMessagesReply, ListMessagesReply__Output as _chat_ListMessagesReply__Output } from '../chat/ListMessagesReply';
import type { ListMessagesRequest as _chat_ListMessagesRequest, ListMessagesRequest__Output as _chat_ListMessagesRequest__Output } from '../chat/ListMessagesRequest';
import type { LoginReply as _chat_LoginReply, LoginReply__Output as _chat_LoginReply__Output } from '../chat/LoginReply';
import type { LoginRequest as _chat_LoginRequest, LoginRequest__Output as _chat_LoginRequest__Output } from '../chat/LoginRequest';
import type { LogoutReply as _chat_LogoutReply, LogoutReply__Output as _chat_LogoutReply__Output } from '../chat/LogoutReply';
import type { LogoutRequest as _chat_LogoutRequest, LogoutRequest__Output as _chat_LogoutRequest__Output } from '../chat/LogoutRequest';
import type { MarkReadReply as _chat_MarkReadReply, MarkReadReply__Output as _chat_MarkReadReply__Output } from '../chat/MarkReadReply';
import type { MarkReadRequest as _chat_MarkReadRequest, MarkReadRequest__Output as _chat_MarkReadRequest__Output } from '../chat/MarkReadRequest';
import type { ReadNewMessagesReply as _chat_ReadNewMessagesReply, ReadNewMessagesReply__Output as _chat_ReadNewMessagesReply__Output } from '../chat/ReadNewMessagesReply';
import type { ReadNewMessagesRequest as _chat_ReadNewMessagesRequest, ReadNewMessagesRequest__Output as _chat_ReadNewMessagesRequest__Output } from '../chat/ReadNewMessagesRequest';
import type { SendMessageReply as _chat_SendMessageReply, SendMessageReply__Output as _chat_SendMessageReply__Output } from '../chat/SendMessageReply';
import type { SendMessageRequest as _chat_SendMessageRequest, SendMessageRequest__Output as _chat_SendMessageRequest__Output } from '../chat/SendMessageRequest';
import type { SubscribeRequest as _chat_SubscribeRequest, SubscribeRequest__Output as _chat_SubscribeRequest__Output } from '../chat/SubscribeRequest';

export interface ChatServiceClient extends grpc.Client {
  CreateAccount(argument: _chat_CreateAccountRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_CreateAccountReply__Output>): grpc.ClientUnaryCall;
  CreateAccount(argument: _chat_CreateAccountRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_chat_CreateAccountReply__Output>): grpc.ClientUnaryCall;
  CreateAccount(argument: _chat_CreateAccountRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_CreateAccountReply__Output>): grpc.ClientUnaryCall;
  CreateAccount(argument: _chat_CreateAccountRequest, callback: grpc.requestCallback<_chat_CreateAccountReply__Output>): grpc.ClientUnaryCall;
  createAccount(argument: _chat_CreateAccountRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_CreateAccountReply__Output>): grpc.ClientUnaryCall;
  createAccount(argument: _chat_CreateAccountRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_chat_CreateAccountReply__Output>): grpc.ClientUnaryCall;
  createAccount(argument: _chat_CreateAccountRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_CreateAccountReply__Output>): grpc.ClientUnaryCall;
  createAccount(argument: _chat_CreateAccountRequest, callback: grpc.requestCallback<_chat_CreateAccountReply__Output>): grpc.ClientUnaryCall;
  
  DeleteAccount(argument: _chat_DeleteAccountRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_DeleteAccountReply__Output>): grpc.ClientUnaryCall;
  DeleteAccount(argument: _chat_DeleteAccountRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_chat_DeleteAccountReply__Output>): grpc.ClientUnaryCall;
  DeleteAccount(argument: _chat_DeleteAccountRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_DeleteAccountReply__Output>): grpc.ClientUnaryCall;
  DeleteAccount(argument: _chat_DeleteAccountRequest, callback: grpc.requestCallback<_chat_DeleteAccountReply__Output>): grpc.ClientUnaryCall;
  deleteAccount(argument: _chat_DeleteAccountRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_DeleteAccountReply__Output>): grpc.ClientUnaryCall;
  deleteAccount(argument: _chat_DeleteAccountRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_chat_DeleteAccountReply__Output>): grpc.ClientUnaryCall;
  deleteAccount(argument: _chat_DeleteAccountRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_DeleteAccountReply__Output>): grpc.ClientUnaryCall;
  deleteAccount(argument: _chat_DeleteAccountRequest, callback: grpc.requestCallback<_chat_DeleteAccountReply__Output>): grpc.ClientUnaryCall;
  
  DeleteMessages(argument: _chat_DeleteMessagesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_DeleteMessagesReply__Output>): grpc.ClientUnaryCall;
  DeleteMessages(argument: _chat_DeleteMessagesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_chat_DeleteMessagesReply__Output>): grpc.ClientUnaryCall;
  DeleteMessages(argument: _chat_DeleteMessagesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_DeleteMessagesReply__Output>): grpc.ClientUnaryCall;
  DeleteMessages(argument: _chat_DeleteMessagesRequest, callback: grpc.requestCallback<_chat_DeleteMessagesReply__Output>): grpc.ClientUnaryCall;
  deleteMessages(argument: _chat_DeleteMessagesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_DeleteMessagesReply__Output>): grpc.ClientUnaryCall;
  deleteMessages(argument: _chat_DeleteMessagesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_chat_DeleteMessagesReply__Output>): grpc.ClientUnaryCall;
  deleteMessages(argument: _chat_DeleteMessagesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_DeleteMessagesReply__Output>): grpc.ClientUnaryCall;
  deleteMessages(argument: _chat_DeleteMessagesRequest, callback: grpc.requestCallback<_chat_DeleteMessagesReply__Output>): grpc.ClientUnaryCall;
  
  GetLeaderInfo(argument: _chat_GetLeaderInfoRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_GetLeaderInfoReply__Output>): grpc.ClientUnaryCall;
  GetLeaderInfo(argument: _chat_GetLeaderInfoRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_chat_GetLeaderInfoReply__Output>): grpc.ClientUnaryCall;
  GetLeaderInfo(argument: _chat_GetLeaderInfoRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_GetLeaderInfoReply__Output>): grpc.ClientUnaryCall;
  GetLeaderInfo(argument: _chat_GetLeaderInfoRequest, callback: grpc.requestCallback<_chat_GetLeaderInfoReply__Output>): grpc.ClientUnaryCall;
  getLeaderInfo(argument: _chat_GetLeaderInfoRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_GetLeaderInfoReply__Output>): grpc.ClientUnaryCall;
  getLeaderInfo(argument: _chat_GetLeaderInfoRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_chat_GetLeaderInfoReply__Output>): grpc.ClientUnaryCall;
  getLeaderInfo(argument: _chat_GetLeaderInfoRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_GetLeaderInfoReply__Output>): grpc.ClientUnaryCall;
  getLeaderInfo(argument: _chat_GetLeaderInfoRequest, callback: grpc.requestCallback<_chat_GetLeaderInfoReply__Output>): grpc.ClientUnaryCall;
  
  ListAccounts(argument: _chat_ListAccountsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_ListAccountsReply__Output>): grpc.ClientUnaryCall;
  ListAccounts(argument: _chat_ListAccountsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_chat_ListAccountsReply__Output>): grpc.ClientUnaryCall;
  ListAccounts(argument: _chat_ListAccountsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_ListAccountsReply__Output>): grpc.ClientUnaryCall;
  ListAccounts(argument: _chat_ListAccountsRequest, callback: grpc.requestCallback<_chat_ListAccountsReply__Output>): grpc.ClientUnaryCall;
  listAccounts(argument: _chat_ListAccountsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_ListAccountsReply__Output>): grpc.ClientUnaryCall;
  listAccounts(argument: _chat_ListAccountsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_chat_ListAccountsReply__Output>): grpc.ClientUnaryCall;
  listAccounts(argument: _chat_ListAccountsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_ListAccountsReply__Output>): grpc.ClientUnaryCall;
  listAccounts(argument: _chat_ListAccountsRequest, callback: grpc.requestCallback<_chat_ListAccountsReply__Output>): grpc.ClientUnaryCall;
  
  ListMessages(argument: _chat_ListMessagesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_ListMessagesReply__Output>): grpc.ClientUnaryCall;
  ListMessages(argument: _chat_ListMessagesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_chat_ListMessagesReply__Output>): grpc.ClientUnaryCall;
  ListMessages(argument: _chat_ListMessagesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_ListMessagesReply__Output>): grpc.ClientUnaryCall;
  ListMessages(argument: _chat_ListMessagesRequest, callback: grpc.requestCallback<_chat_ListMessagesReply__Output>): grpc.ClientUnaryCall;
  listMessages(argument: _chat_ListMessagesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_ListMessagesReply__Output>): grpc.ClientUnaryCall;
  listMessages(argument: _chat_ListMessagesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_chat_ListMessagesReply__Output>): grpc.ClientUnaryCall;
  listMessages(argument: _chat_ListMessagesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_ListMessagesReply__Output>): grpc.ClientUnaryCall;
  listMessages(argument: _chat_ListMessagesRequest, callback: grpc.requestCallback<_chat_ListMessagesReply__Output>): grpc.ClientUnaryCall;
  
  Login(argument: _chat_LoginRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_LoginReply__Output>): grpc.ClientUnaryCall;
  Login(argument: _chat_LoginRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_chat_LoginReply__Output>): grpc.ClientUnaryCall;
  Login(argument: _chat_LoginRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_LoginReply__Output>): grpc.ClientUnaryCall;
  Login(argument: _chat_LoginRequest, callback: grpc.requestCallback<_chat_LoginReply__Output>): grpc.ClientUnaryCall;
  login(argument: _chat_LoginRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_LoginReply__Output>): grpc.ClientUnaryCall;
  login(argument: _chat_LoginRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_chat_LoginReply__Output>): grpc.ClientUnaryCall;
  login(argument: _chat_LoginRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_LoginReply__Output>): grpc.ClientUnaryCall;
  login(argument: _chat_LoginRequest, callback: grpc.requestCallback<_chat_LoginReply__Output>): grpc.ClientUnaryCall;
  
  Logout(argument: _chat_LogoutRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_LogoutReply__Output>): grpc.ClientUnaryCall;
  Logout(argument: _chat_LogoutRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_chat_LogoutReply__Output>): grpc.ClientUnaryCall;
  Logout(argument: _chat_LogoutRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_LogoutReply__Output>): grpc.ClientUnaryCall;
  Logout(argument: _chat_LogoutRequest, callback: grpc.requestCallback<_chat_LogoutReply__Output>): grpc.ClientUnaryCall;
  logout(argument: _chat_LogoutRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_LogoutReply__Output>): grpc.ClientUnaryCall;
  logout(argument: _chat_LogoutRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_chat_LogoutReply__Output>): grpc.ClientUnaryCall;
  logout(argument: _chat_LogoutRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_LogoutReply__Output>): grpc.ClientUnaryCall;
  logout(argument: _chat_LogoutRequest, callback: grpc.requestCallback<_chat_LogoutReply__Output>): grpc.ClientUnaryCall;
  
  MarkRead(argument: _chat_MarkReadRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_MarkReadReply__Output>): grpc.ClientUnaryCall;
  MarkRead(argument: _chat_MarkReadRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_chat_MarkReadReply__Output>): grpc.ClientUnaryCall;
  MarkRead(argument: _chat_MarkReadRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_MarkReadReply__Output>): grpc.ClientUnaryCall;
  MarkRead(argument: _chat_MarkReadRequest, callback: grpc.requestCallback<_chat_MarkReadReply__Output>): grpc.ClientUnaryCall;
  markRead(argument: _chat_MarkReadRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_MarkReadReply__Output>): grpc.ClientUnaryCall;
  markRead(argument: _chat_MarkReadRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_chat_MarkReadReply__Output>): grpc.ClientUnaryCall;
  markRead(argument: _chat_MarkReadRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_MarkReadReply__Output>): grpc.ClientUnaryCall;
  markRead(argument: _chat_MarkReadRequest, callback: grpc.requestCallback<_chat_MarkReadReply__Output>): grpc.ClientUnaryCall;
  
  ReadNewMessages(argument: _chat_ReadNewMessagesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_ReadNewMessagesReply__Output>): grpc.ClientUnaryCall;
  ReadNewMessages(argument: _chat_ReadNewMessagesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_chat_ReadNewMessagesReply__Output>): grpc.ClientUnaryCall;
  ReadNewMessages(argument: _chat_ReadNewMessagesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_ReadNewMessagesReply__Output>): grpc.ClientUnaryCall;
  ReadNewMessages(argument: _chat_ReadNewMessagesRequest, callback: grpc.requestCallback<_chat_ReadNewMessagesReply__Output>): grpc.ClientUnaryCall;
  readNewMessages(argument: _chat_ReadNewMessagesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_ReadNewMessagesReply__Output>): grpc.ClientUnaryCall;
  readNewMessages(argument: _chat_ReadNewMessagesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_chat_ReadNewMessagesReply__Output>): grpc.ClientUnaryCall;
  readNewMessages(argument: _chat_ReadNewMessagesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_ReadNewMessagesReply__Output>): grpc.ClientUnaryCall;
  readNewMessages(argument: _chat_ReadNewMessagesRequest, callback: grpc.requestCallback<_chat_ReadNewMessagesReply__Output>): grpc.ClientUnaryCall;
  
  SendMessage(argument: _chat_SendMessageRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_SendMessageReply__Output>): grpc.ClientUnaryCall;
  SendMessage(argument: _chat_SendMessageRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_chat_SendMessageReply__Output>): grpc.ClientUnaryCall;
  SendMessage(argument: _chat_SendMessageRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_SendMessageReply__Output>): grpc.ClientUnaryCall;
  SendMessage(argument: _chat_SendMessageRequest, callback: grpc.requestCallback<_chat_SendMessageReply__Output>): grpc.ClientUnaryCall;
  sendMessage(argument: _chat_SendMessageRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_SendMessageReply__Output>): grpc.ClientUnaryCall;
  sendMessage(argument: _chat_SendMessageRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_chat_SendMessageReply__Output>): grpc.ClientUnaryCall;
  sendMessage(argument: _chat_SendMessageRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_chat_SendMessageReply__Output>): grpc.ClientUnaryCall;
  sendMessage(argument: _chat_SendMessageRequest, callback: grpc.requestCallback<_chat_SendMessageReply__Output>): grpc.ClientUnaryCall;
  
  Subscribe(argument: _chat_SubscribeRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_chat_ChatMessage__Output>;
  Subscribe(argument: _chat_SubscribeRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_chat_ChatMessage__Output>;
  subscribe(argument: _chat_SubscribeRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_chat_ChatMessage__Output>;
  subscribe(argument: _chat_SubscribeRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_chat_ChatMessage__Output>;
  
}

export interface ChatServiceHandlers extends grpc.UntypedServiceImplementation {
  CreateAccount: grpc.handleUnaryCall<_chat_CreateAccountRequest__Output, _chat_CreateAccountReply>;
  
  DeleteAccount: grpc.handleUnaryCall<_chat_DeleteAccountRequest__Output, _chat_DeleteAccountReply>;
  
  DeleteMessages: grpc.handleUnaryCall<_chat_DeleteMessagesRequest__Output, _chat_DeleteMessagesReply>;
  
  GetLeaderInfo: grpc.handleUnaryCall<_chat_GetLeaderInfoRequest__Output, _chat_GetLeaderInfoReply>;
  
  ListAccounts: grpc.handleUnaryCall<_chat_ListAccountsRequest__Output, _chat_ListAccountsReply>;
  
  ListMessages: grpc.handleUnaryCall<_chat_ListMessagesRequest__Output, _chat_ListMessagesReply>;
  
  Login: grpc.handleUnaryCall<_chat_LoginRequest__Output, _chat_LoginReply>;
  
  Logout: grpc.handleUnaryCall<_chat_LogoutRequest__Output, _chat_LogoutReply>;
  
  MarkRead: grpc.handleUnaryCall<_chat_MarkReadRequest__Output, _chat_MarkReadReply>;
  
  ReadNewMessages: grpc.handleUnaryCall<_chat_ReadNewMessagesRequest__Output, _chat_ReadNewMessagesReply>;
  
  SendMessage: grpc.handleUnaryCall<_chat_SendMessageRequest__Output, _chat_SendMessageReply>;
  
  Subscribe: grpc.handleServerStreamingCall<_chat_SubscribeRequest__Output, _chat_ChatMessage>;
  
}

export interface ChatServiceDefinition extends grpc.ServiceDefinition {
  CreateAccount: MethodDefinition<_chat_CreateAccountRequest, _chat_CreateAccountReply, _chat_CreateAccountRequest__Output, _chat_CreateAccountReply__Output>
  DeleteAccount: MethodDefinition<_chat_DeleteAccountRequest, _chat_DeleteAccountReply, _chat_DeleteAccountRequest__Output, _chat_DeleteAccountReply__Output>
  DeleteMessages: MethodDefinition<_chat_DeleteMessagesRequest, _chat_DeleteMessagesReply, _chat_DeleteMessagesRequest__Output, _chat_DeleteMessagesReply__Output>
  GetLeaderInfo: MethodDefinition<_chat_GetLeaderInfoRequest, _chat_GetLeaderInfoReply, _chat_GetLeaderInfoRequest__Output, _chat_GetLeaderInfoReply__Output>
  ListAccounts: MethodDefinition<_chat_ListAccountsRequest, _chat_ListAccountsReply, _chat_ListAccountsRequest__Output, _chat_ListAccountsReply__Output>
  ListMessages: MethodDefinition<_chat_ListMessagesRequest, _chat_ListMessagesReply, _chat_ListMessagesRequest__Output, _chat_ListMessagesReply__Output>
  Login: MethodDefinition<_chat_LoginRequest, _chat_LoginReply, _chat_LoginRequest__Output, _chat_LoginReply__Output>
  Logout: MethodDefinition<_chat_LogoutRequest, _chat_LogoutReply, _chat_LogoutRequest__Output, _chat_LogoutReply__Output>
  MarkRead: MethodDefinition<_chat_MarkReadRequest, _chat_MarkReadReply, _chat_MarkReadRequest__Output, _chat_MarkReadReply__Output>
  ReadNewMessages: MethodDefinition<_chat_ReadNewMessagesRequest, _chat_ReadNewMessagesReply, _chat_ReadNewMessagesRequest__Output, _chat_ReadNewMessagesReply__Output>
  SendMessage: MethodDefinition<_chat_SendMessageRequest, _chat_SendMessageReply, _chat_SendMessageRequest__Output, _chat_SendMessageReply__Output>
  Subscribe: MethodDefinition<_chat_SubscribeRequest, _chat_ChatMessage, _chat_SubscribeRequest__Output, _chat_ChatMessage__Output>
}
