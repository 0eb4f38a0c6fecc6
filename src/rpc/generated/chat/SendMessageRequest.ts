// Original file: proto/chat.proto


export interface SendMessageRequest {
  'recipient'?: (string);
  'text'?: (string);
}

export interface SendMessageRequest__Output {
  'recipient': (string);
  'text': (string);
}
