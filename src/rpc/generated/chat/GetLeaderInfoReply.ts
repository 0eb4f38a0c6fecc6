// Original file: proto/chat.proto

import type { ReplicaInfo as _chat_ReplicaInfo, ReplicaInfo__Output as _chat_ReplicaInfo__Output } from '../chat/ReplicaInfo';
import type { Long } from '@grpc/proto-loader';

export interface GetLeaderInfoReply {
  'leaderId'?: (number);
  'leaderAddress'?: (string);
  'replicas'?: (_chat_ReplicaInfo)[];
  'term'?: (number | string | Long);
  'replyingId'?: (number);
}

export interface GetLeaderInfoReply__Output {
  'leaderId': (number);
  'leaderAddress': (string);
  'replicas': (_chat_ReplicaInfo__Output)[];
  'term': (number);
  'replyingId': (number);
}
