// Original file: proto/chat.proto


export interface MarkReadReply {
  'marked'?: (number);
}

export interface MarkReadReply__Output {
  'marked': (number);
}
