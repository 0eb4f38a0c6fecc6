// Original file: proto/chat.proto

import type { Long } from '@grpc/proto-loader';

export interface LogEntry {
  'index'?: (number | string | Long);
  'term'?: (number | string | Long);
  'type'?: (string);
  'data'?: (string);
}

export interface LogEntry__Output {
  'index': (number);
  'term': (number);
  'type': (string);
  'data': (string);
}
