// Original file: proto/chat.proto


export interface ReadNewMessagesRequest {
  'count'?: (number);
}

export interface ReadNewMessagesRequest__Output {
  'count': (number);
}
