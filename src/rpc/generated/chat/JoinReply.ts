// Original file: proto/chat.proto

import type { ReplicaInfo as _chat_ReplicaInfo, ReplicaInfo__Output as _chat_ReplicaInfo__Output } from '../chat/ReplicaInfo';

export interface JoinReply {
  'leaderId'?: (number);
  'leaderAddress'?: (string);
  'voters'?: (_chat_ReplicaInfo)[];
  'learners'?: (_chat_ReplicaInfo)[];
  'clusterId'?: (string);
}

export interface JoinReply__Output {
  'leaderId': (number);
  'leaderAddress': (string);
  'voters': (_chat_ReplicaInfo__Output)[];
  'learners': (_chat_ReplicaInfo__Output)[];
  'clusterId': (string);
}
