// Original file: proto/chat.proto

import type { ChatMessage as _chat_ChatMessage, ChatMessage__Output as _chat_ChatMessage__Output } from '../chat/ChatMessage';
import type { Long } from '@grpc/proto-loader';

export interface ListMessagesReply {
  'messages'?: (_chat_ChatMessage)[];
  'nextBeforeId'?: (number | string | Long);
}

export interface ListMessagesReply__Output {
  'messages': (_chat_ChatMessage__Output)[];
  'nextBeforeId': (number);
}
