// Original file: proto/chat.proto

import type { Long } from '@grpc/proto-loader';

export interface SnapshotChunk {
  'from'?: (number);
  'to'?: (number);
  'term'?: (number | string | Long);
  'index'?: (number | string | Long);
  'snapshotTerm'?: (number | string | Long);
  'membership'?: (string);
  'table'?: (string);
  'rows'?: (string);
  'crc32'?: (number);
  'done'?: (boolean);
  'digest'?: (string);
  'totalRows'?: (number | string | Long);
  'rowCount'?: (number);
  'configIndex'?: (number | string | Long);
}

export interface SnapshotChunk__Output {
  'from': (number);
  'to': (number);
  'term': (number);
  'index': (number);
  'snapshotTerm': (number);
  'membership': (string);
  'table': (string);
  'rows': (string);
  'crc32': (number);
  'done': (boolean);
  'digest': (string);
  'totalRows': (number);
  'rowCount': (number);
  'configIndex': (number);
}
