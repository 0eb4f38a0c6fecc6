// Original file: proto/chat.proto


export interface LogoutRequest {
}

export interface LogoutRequest__Output {
}
