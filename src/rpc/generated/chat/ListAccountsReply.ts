// Original file: proto/chat.proto


export interface ListAccountsReply {
  'usernames'?: (string)[];
  'nextPageToken'?: (string);
}

export interface ListAccountsReply__Output {
  'usernames': (string)[];
  'nextPageToken': (string);
}
