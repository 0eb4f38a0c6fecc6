// Original file: proto/chat.proto


export interface StatusRequest {
}

export interface StatusRequest__Output {
}
