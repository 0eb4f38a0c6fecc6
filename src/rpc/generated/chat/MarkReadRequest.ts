// Original file: proto/chat.proto

import type { Long } from '@grpc/proto-loader';

export interface MarkReadRequest {
  'ids'?: (number | string | Long)[];
}

export interface MarkReadRequest__Output {
  'ids': (number)[];
}
