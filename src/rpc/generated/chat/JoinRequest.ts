// Original file: proto/chat.proto


export interface JoinRequest {
  'id'?: (number);
  'address'?: (string);
}

export interface JoinRequest__Output {
  'id': (number);
  'address': (string);
}
