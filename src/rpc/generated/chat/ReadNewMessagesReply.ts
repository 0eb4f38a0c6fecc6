// Original file: proto/chat.proto

import type { ChatMessage as _chat_ChatMessage, ChatMessage__Output as _chat_ChatMessage__Output } from '../chat/ChatMessage';
import type { Long } from '@grpc/proto-loader';

export interface ReadNewMessagesReply {
  'messages'?: (_chat_ChatMessage)[];
  'unreadRemaining'?: (number | string | Long);
}

export interface ReadNewMessagesReply__Output {
  'messages': (_chat_ChatMessage__Output)[];
  'unreadRemaining': (number);
}
