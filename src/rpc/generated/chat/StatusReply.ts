// Original file: proto/chat.proto

import type { ReplicaStatus as _chat_ReplicaStatus, ReplicaStatus__Output as _chat_ReplicaStatus__Output } from '../chat/ReplicaStatus';
import type { Long } from '@grpc/proto-loader';

export interface StatusReply {
  'leaderId'?: (number);
  'leaderAddress'?: (string);
  'term'?: (number | string | Long);
  'commitIndex'?: (number | string | Long);
  'lastIndex'?: (number | string | Long);
  'snapshotIndex'?: (number | string | Long);
  'replicas'?: (_chat_ReplicaStatus)[];
}

export interface StatusReply__Output {
  'leaderId': (number);
  'leaderAddress': (string);
  'term': (number);
  'commitIndex': (number);
  'lastIndex': (number);
  'snapshotIndex': (number);
  'replicas': (_chat_ReplicaStatus__Output)[];
}
