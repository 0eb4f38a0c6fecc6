// Original file: proto/chat.proto


export interface RemoveServerRequest {
  'id'?: (number);
}

export interface RemoveServerRequest__Output {
  'id': (number);
}
