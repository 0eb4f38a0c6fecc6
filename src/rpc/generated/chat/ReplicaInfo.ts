// Original file: proto/chat.proto


export interface ReplicaInfo {
  'id'?: (number);
  'address'?: (string);
}

export interface ReplicaInfo__Output {
  'id': (number);
  'address': (string);
}
