// Original file: proto/chat.proto

import type { Long } from '@grpc/proto-loader';

export interface ChatMessage {
  'id'?: (number | string | Long);
  'sender'?: (string);
  'recipient'?: (string);
  'text'?: (string);
  'sentAtMs'?: (number | string | Long);
  'read'?: (boolean);
}

export interface ChatMessage__Output {
  'id': (number);
  'sender': (string);
  'recipient': (string);
  'text': (string);
  'sentAtMs': (number);
  'read': (boolean);
}
