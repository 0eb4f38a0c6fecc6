// Original file: proto/chat.proto

import type { Long } from '@grpc/proto-loader';

export interface SendMessageReply {
  'id'?: (number | string | Long);
  'sentAtMs'?: (number | string | Long);
}

export interface SendMessageReply__Output {
  'id': (number);
  'sentAtMs': (number);
}
