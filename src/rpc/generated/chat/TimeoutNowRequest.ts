// Original file: proto/chat.proto

import type { Long } from '@grpc/proto-loader';

export interface TimeoutNowRequest {
  'from'?: (number);
  'to'?: (number);
  'term'?: (number | string | Long);
}

export interface TimeoutNowRequest__Output {
  'from': (number);
  'to': (number);
  'term': (number);
}
