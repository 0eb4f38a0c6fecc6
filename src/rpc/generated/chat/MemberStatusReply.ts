// Original file: proto/chat.proto

import type { ReplicaStatus as _chat_ReplicaStatus, ReplicaStatus__Output as _chat_ReplicaStatus__Output } from '../chat/ReplicaStatus';
import type { Long } from '@grpc/proto-loader';

export interface MemberStatusReply {
  'id'?: (number);
  'address'?: (string);
  'role'?: (string);
  'term'?: (number | string | Long);
  'leaderId'?: (number);
  'leaderAddress'?: (string);
  'commitIndex'?: (number | string | Long);
  'appliedIndex'?: (number | string | Long);
  'lastIndex'?: (number | string | Long);
  'snapshotIndex'?: (number | string | Long);
  'membershipRole'?: (string);
  'lastContactMs'?: (number | string | Long);
  'databaseBytes'?: (number | string | Long);
  'version'?: (string);
  'members'?: (_chat_ReplicaStatus)[];
  'clusterId'?: (string);
}

export interface MemberStatusReply__Output {
  'id': (number);
  'address': (string);
  'role': (string);
  'term': (number);
  'leaderId': (number);
  'leaderAddress': (string);
  'commitIndex': (number);
  'appliedIndex': (number);
  'lastIndex': (number);
  'snapshotIndex': (number);
  'membershipRole': (string);
  'lastContactMs': (number);
  'databaseBytes': (number);
  'version': (string);
  'members': (_chat_ReplicaStatus__Output)[];
  'clusterId': (string);
}
