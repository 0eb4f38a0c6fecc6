// Original file: proto/chat.proto


export interface GetLeaderInfoRequest {
}

export interface GetLeaderInfoRequest__Output {
}
