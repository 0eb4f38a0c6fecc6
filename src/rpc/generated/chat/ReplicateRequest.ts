// Original file: proto/chat.proto

import type { LogEntry as _chat_LogEntry, LogEntry__Output as _chat_LogEntry__Output } from '../chat/LogEntry';
import type { Long } from '@grpc/proto-loader';

export interface ReplicateRequest {
  'from'?: (number);
  'to'?: (number);
  'term'?: (number | string | Long);
  'prevIndex'?: (number | string | Long);
  'prevTerm'?: (number | string | Long);
  'entries'?: (_chat_LogEntry)[];
  'leaderCommit'?: (number | string | Long);
  'heartbeatRound'?: (number | string | Long);
}

export interface ReplicateRequest__Output {
  'from': (number);
  'to': (number);
  'term': (number);
  'prevIndex': (number);
  'prevTerm': (number);
  'entries': (_chat_LogEntry__Output)[];
  'leaderCommit': (number);
  'heartbeatRound': (number);
}
