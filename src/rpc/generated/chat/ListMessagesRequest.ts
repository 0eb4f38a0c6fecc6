// Original file: proto/chat.proto

import type { Long } from '@grpc/proto-loader';

export interface ListMessagesRequest {
  'pageSize'?: (number);
  'beforeId'?: (number | string | Long);
}

export interface ListMessagesRequest__Output {
  'pageSize': (number);
  'beforeId': (number);
}
