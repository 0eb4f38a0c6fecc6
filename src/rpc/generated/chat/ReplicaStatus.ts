// Original file: proto/chat.proto

import type { Long } from '@grpc/proto-loader';

export interface ReplicaStatus {
  'id'?: (number);
  'address'?: (string);
  'role'?: (string);
  'matchIndex'?: (number | string | Long);
}

export interface ReplicaStatus__Output {
  'id': (number);
  'address': (string);
  'role': (string);
  'matchIndex': (number);
}
