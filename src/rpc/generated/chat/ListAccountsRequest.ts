// Original file: proto/chat.proto


export interface ListAccountsRequest {
  'pattern'?: (string);
  'pageSize'?: (number);
  'pageToken'?: (string);
}

export interface ListAccountsRequest__Output {
  'pattern': (string);
  'pageSize': (number);
  'pageToken': (string);
}
