// Original file: proto/chat.proto

import type { Long } from '@grpc/proto-loader';

export interface DeleteMessagesRequest {
  'ids'?: (number | string | Long)[];
}

export interface DeleteMessagesRequest__Output {
  'ids': (number)[];
}
