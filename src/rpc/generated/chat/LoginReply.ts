// Original file: proto/chat.proto

import type { Long } from '@grpc/proto-loader';

export interface LoginReply {
  'token'?: (string);
  'unreadCount'?: (number | string | Long);
  'username'?: (string);
}

export interface LoginReply__Output {
  'token': (string);
  'unreadCount': (number);
  'username': (string);
}
