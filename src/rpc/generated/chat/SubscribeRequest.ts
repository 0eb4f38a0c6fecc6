// Original file: proto/chat.proto

import type { Long } from '@grpc/proto-loader';

export interface SubscribeRequest {
  'afterId'?: (number | string | Long);
}

export interface SubscribeRequest__Output {
  'afterId': (number);
}
